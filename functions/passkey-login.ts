import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PasskeyLogInServices, passkeyLogInServices } from '../lib/services';
import { PasskeyLoginBody } from '../lib/validation';

/** POST /sessions/passkey — log in with a passkey (the authentication ceremony's response). */
export const createHandler = ({ http, ceremonies }: PasskeyLogInServices) =>
  endpoint(withSessionCookie(http), routeOf('passkey-login'), PasskeyLoginBody, async ({ body, client }) =>
    ceremonies.logIn(body, client),
  );

export const handler = lambdaHandler(passkeyLogInServices, createHandler);
