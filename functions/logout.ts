import { endpoint, noContent } from '../lib/http';
import { type BaseServices, baseServices } from '../lib/services';

/** DELETE /sessions/current — log out: revoke the caller's session. */
export const createHandler = ({ http, access }: BaseServices) =>
  endpoint(http, { auth: true }, async ({ caller }) => {
    await access.logout(caller);
    return noContent();
  });

export const handler = createHandler(baseServices());
