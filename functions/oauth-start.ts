import { endpoint } from '../lib/http';
import { type OAuthServices, oauthStartServices, prefetchProviders } from '../lib/oauth/services';
import { routeOf } from '../lib/routes';
import { lambdaHandler } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { OAuthStartBody } from '../lib/validation';

/** POST /oauth/{provider}/start — the provider's URL for a sign-in, or (with a bearer token) a link. */
export const createHandler = ({ http, oauth }: OAuthServices) =>
  endpoint(
    withBearerAuth(http),
    routeOf('oauth-start'),
    OAuthStartBody,
    async ({ body, caller, client, pathParameters }) =>
      oauth.start(pathParameters.provider ?? '', body, caller, client),
  );

export const handler = lambdaHandler(oauthStartServices, createHandler);
// The providers' discovery runs alongside the SSM read, in the init phase.
prefetchProviders(process.env);
