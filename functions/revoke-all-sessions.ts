import { endpoint, noContent } from '../lib/http';
import { type Services, services } from '../lib/services';

/** DELETE /sessions — log out everywhere: revoke every session of the caller. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, { auth: true }, async ({ caller }) => {
    await accounts.revokeAllSessions(caller);
    return noContent();
  });

export const handler = createHandler(services());
