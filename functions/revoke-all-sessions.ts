import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type BaseServices, baseServices, lambdaHandler } from '../lib/services';

/** DELETE /sessions — log out everywhere: revoke every session of the caller. */
export const createHandler = ({ http, access }: BaseServices) =>
  endpoint(http, routeOf('revoke-all-sessions'), undefined, async ({ caller }) =>
    access.revokeAllSessions(caller),
  );

export const handler = lambdaHandler(baseServices, createHandler);
