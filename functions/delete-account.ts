import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccountServices, accountServices, lambdaHandler } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { DeleteAccountBody } from '../lib/validation';

/** DELETE /users/me — delete the account (password required): user, email and all sessions. */
export const createHandler = ({ http, accounts }: AccountServices) =>
  endpoint(
    withBearerAuth(withSessionCookie(http)),
    routeOf('delete-account'),
    DeleteAccountBody,
    async ({ caller, body }) => {
      await accounts.deleteAccount(caller, body);
    },
  );

export const handler = lambdaHandler(accountServices, createHandler);
