import { endpoint, ok } from '../lib/http';
import { type Services, services } from '../lib/services';

/** GET /sessions — the caller's sessions, the current one marked. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, { auth: true }, async ({ caller }) => ok(await accounts.listSessions(caller)));

export const handler = createHandler(services());
