import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type Services, services } from '../lib/services';
import { DeleteAccountBody } from '../lib/validation';

/** DELETE /users/me — delete the account (password required): user, email and all sessions. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, routeOf('delete-account'), DeleteAccountBody, async ({ caller, body }) => {
    await accounts.deleteAccount(caller, body);
  });

export const handler = lambdaHandler(services, createHandler);
