import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type BaseServices, baseServices, lambdaHandler } from '../lib/services';

/** GET /users/me — the caller's profile. */
export const createHandler = ({ http, access }: BaseServices) =>
  endpoint(http, routeOf('get-profile'), undefined, async ({ caller }) => access.getProfile(caller));

export const handler = lambdaHandler(baseServices, createHandler);
