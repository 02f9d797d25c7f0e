import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type BaseServices, baseServices, lambdaHandler } from '../lib/services';

/** GET /sessions — the caller's sessions, the current one marked. */
export const createHandler = ({ http, access }: BaseServices) =>
  endpoint(http, routeOf('list-sessions'), undefined, async ({ caller }) => access.listSessions(caller));

export const handler = lambdaHandler(baseServices, createHandler);
