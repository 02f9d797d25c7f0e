import { endpoint } from '../lib/http';
import { identityServices, type OAuthServices } from '../lib/oauth/services';
import { routeOf } from '../lib/routes';
import { lambdaHandler } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';

/** GET /users/me/identities — the caller's linked identities and whether it has a password. */
export const createHandler = ({ http, oauth }: OAuthServices) =>
  endpoint(withBearerAuth(http), routeOf('list-identities'), undefined, async ({ caller }) =>
    oauth.listIdentities(caller),
  );

export const handler = lambdaHandler(identityServices, createHandler);
