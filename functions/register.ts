import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccountServices, accountServices, lambdaHandler } from '../lib/services';
import { RegisterBody } from '../lib/validation';

/** POST /users — create an account and log it in. */
export const createHandler = ({ http, accounts }: AccountServices) =>
  endpoint(withSessionCookie(http), routeOf('register'), RegisterBody, async ({ body, client }) =>
    accounts.register(body, client),
  );

export const handler = lambdaHandler(accountServices, createHandler);
