import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type Services, services } from '../lib/services';
import { ChangePasswordBody } from '../lib/validation';

/** PUT /users/me/password — change the password; every other session is revoked. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, routeOf('change-password'), ChangePasswordBody, async ({ caller, body }) => {
    await accounts.changePassword(caller, body);
  });

export const handler = lambdaHandler(services, createHandler);
