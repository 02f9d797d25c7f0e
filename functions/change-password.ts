import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccountServices, accountServices, lambdaHandler } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { ChangePasswordBody } from '../lib/validation';

/** PUT /users/me/password — change the password; every other session is revoked. */
export const createHandler = ({ http, accounts }: AccountServices) =>
  endpoint(withBearerAuth(http), routeOf('change-password'), ChangePasswordBody, async ({ caller, body }) => {
    await accounts.changePassword(caller, body);
  });

export const handler = lambdaHandler(accountServices, createHandler);
