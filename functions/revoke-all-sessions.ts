import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccessServices, accessServices, lambdaHandler } from '../lib/services';
import { createAllSessionsRevoker } from '../lib/sessions/store';
import { withBearerAuth } from '../lib/tokens';

/** DELETE /sessions — log out everywhere: revoke every session of the caller. */
export const createHandler = ({ http, access }: AccessServices) =>
  endpoint(
    withBearerAuth(withSessionCookie(http)),
    routeOf('revoke-all-sessions'),
    undefined,
    async ({ caller }) => access.revokeAllSessions(caller),
  );

export const handler = lambdaHandler(accessServices(createAllSessionsRevoker), createHandler);
