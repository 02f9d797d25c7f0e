import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccessServices, accessServices, lambdaHandler } from '../lib/services';
import { noSessionStore } from '../lib/sessions/store';
import { touchIfStale } from '../lib/sessions/touch';
import { withBearerAuth } from '../lib/tokens';

/** GET /users/me — the caller's profile. */
export const createHandler = ({ http, access }: AccessServices) =>
  endpoint(withBearerAuth(http), routeOf('get-profile'), undefined, async ({ caller }) =>
    access.getProfile(caller),
  );

export const handler = lambdaHandler(accessServices(noSessionStore, touchIfStale), createHandler);
