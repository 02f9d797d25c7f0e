import { endpoint, noContent } from '../lib/http';
import { type BaseServices, baseServices } from '../lib/services';

/** DELETE /sessions — log out everywhere: revoke every session of the caller. */
export const createHandler = ({ http, access }: BaseServices) =>
  endpoint(http, { auth: true }, async ({ caller }) => {
    await access.revokeAllSessions(caller);
    return noContent();
  });

export const handler = createHandler(baseServices());
