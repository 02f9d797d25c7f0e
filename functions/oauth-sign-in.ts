import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { type OAuthServices, oauthCodeServices } from '../lib/oauth/services';
import { routeOf } from '../lib/routes';
import { lambdaHandler } from '../lib/services';
import { OAuthSignInBody } from '../lib/validation';

/** POST /sessions/oauth — redeem a social sign-in's one-time code with the app's PKCE verifier. */
export const createHandler = ({ http, oauth }: OAuthServices) =>
  endpoint(withSessionCookie(http), routeOf('oauth-sign-in'), OAuthSignInBody, async ({ body, client }) =>
    oauth.redeem(body, client),
  );

export const handler = lambdaHandler(oauthCodeServices, createHandler);
