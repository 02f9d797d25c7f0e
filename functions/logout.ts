import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccessServices, accessServices, lambdaHandler } from '../lib/services';
import { createSessionRevoker } from '../lib/sessions/store';
import { withBearerAuth } from '../lib/tokens';

/** DELETE /sessions/current — log out: revoke the caller's session. */
export const createHandler = ({ http, access }: AccessServices) =>
  endpoint(withBearerAuth(withSessionCookie(http)), routeOf('logout'), undefined, async ({ caller }) =>
    access.logout(caller),
  );

export const handler = lambdaHandler(accessServices(createSessionRevoker), createHandler);
