import { endpoint, ok } from '../lib/http';
import { type BaseServices, baseServices } from '../lib/services';

/** GET /sessions — the caller's sessions, the current one marked. */
export const createHandler = ({ http, access }: BaseServices) =>
  endpoint(http, { auth: true }, async ({ caller }) => ok(await access.listSessions(caller)));

export const handler = createHandler(baseServices());
