import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type MfaLoginServices, mfaLoginServices } from '../lib/services';
import { MfaLoginBody } from '../lib/validation';

/** POST /sessions/mfa — complete a log-in that answered mfa_required. */
export const createHandler = ({ http, mfaLogin }: MfaLoginServices) =>
  endpoint(withSessionCookie(http), routeOf('complete-mfa-login'), MfaLoginBody, async ({ body, client }) =>
    mfaLogin.completeLogin(body, client),
  );

export const handler = lambdaHandler(mfaLoginServices, createHandler);
