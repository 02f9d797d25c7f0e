import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccessServices, lambdaHandler, sessionServices } from '../lib/services';
import { RefreshBody } from '../lib/validation';

/** POST /sessions/refresh — trade a refresh token for a new token pair (the old one is spent). */
export const createHandler = ({ http, access }: AccessServices) =>
  endpoint(withSessionCookie(http), routeOf('refresh-session'), RefreshBody, async ({ body, client }) =>
    access.refresh(body, client),
  );

export const handler = lambdaHandler(sessionServices, createHandler);
