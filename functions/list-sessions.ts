import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccessServices, accessServices, lambdaHandler } from '../lib/services';
import { createSessionLister } from '../lib/sessions/store';
import { withBearerAuth } from '../lib/tokens';

/** GET /sessions — the caller's sessions, the current one marked. */
export const createHandler = ({ http, access }: AccessServices) =>
  endpoint(withBearerAuth(http), routeOf('list-sessions'), undefined, async ({ caller }) =>
    access.listSessions(caller),
  );

export const handler = lambdaHandler(accessServices(createSessionLister), createHandler);
