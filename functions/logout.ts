import { endpoint, noContent } from '../lib/http';
import { type Services, services } from '../lib/services';

/** DELETE /sessions/current — log out: revoke the caller's session. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, { auth: true }, async ({ caller }) => {
    await accounts.logout(caller);
    return noContent();
  });

export const handler = createHandler(services());
