import { endpoint, noContent } from '../lib/http';
import { type Services, services } from '../lib/services';
import { ChangePasswordBody } from '../lib/validation';

/** PUT /users/me/password — change the password; every other session is revoked. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, { auth: true, body: ChangePasswordBody }, async ({ caller, body }) => {
    await accounts.changePassword(caller, body);
    return noContent();
  });

export const handler = createHandler(services());
