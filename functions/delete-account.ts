import { endpoint, noContent } from '../lib/http';
import { type Services, services } from '../lib/services';
import { DeleteAccountBody } from '../lib/validation';

/** DELETE /users/me — delete the account (password required): user, email and all sessions. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, { auth: true, body: DeleteAccountBody }, async ({ caller, body }) => {
    await accounts.deleteAccount(caller, body);
    return noContent();
  });

export const handler = createHandler(services());
