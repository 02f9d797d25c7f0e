import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccountServices, accountServices, lambdaHandler } from '../lib/services';
import { LoginBody } from '../lib/validation';

/** POST /sessions — log in with email and password; every log-in opens a new session. */
export const createHandler = ({ http, accounts }: AccountServices) =>
  endpoint(withSessionCookie(http), routeOf('login'), LoginBody, async ({ body, client }) =>
    accounts.login(body, client),
  );

export const handler = lambdaHandler(accountServices, createHandler);
