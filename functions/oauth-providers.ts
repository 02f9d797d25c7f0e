import { endpoint } from '../lib/http';
import { type OAuthServices, oauthProviderServices } from '../lib/oauth/services';
import { routeOf } from '../lib/routes';
import { lambdaHandler } from '../lib/services';

/** GET /oauth/providers — the social sign-in providers that are on. */
export const createHandler = ({ http, oauth }: OAuthServices) =>
  endpoint(http, routeOf('oauth-providers'), undefined, async () => oauth.providers());

export const handler = lambdaHandler(oauthProviderServices, createHandler);
