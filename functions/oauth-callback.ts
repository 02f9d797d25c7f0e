import { endpoint, redirect } from '../lib/http';
import { callbackParameters } from '../lib/oauth/callback-input';
import { type OAuthServices, oauthCallbackServices, prefetchProviders } from '../lib/oauth/services';
import { routeOf } from '../lib/routes';
import { lambdaHandler } from '../lib/services';

/** GET /oauth/{provider}/callback — the provider's answer; a 302 back to the app. */
export const createHandler = ({ http, oauth }: OAuthServices) =>
  endpoint(http, routeOf('oauth-callback'), undefined, async ({ event, client, pathParameters }) =>
    redirect(await oauth.callback(pathParameters.provider ?? '', callbackParameters(event, false), client)),
  );

export const handler = lambdaHandler(oauthCallbackServices, createHandler);
// The providers' discovery runs alongside the SSM read, in the init phase.
prefetchProviders(process.env);
