import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PasskeyServices, passkeyLoginServices } from '../lib/services';
import { PasskeyLoginBody } from '../lib/validation';

/** POST /sessions/passkey — log in with a passkey (the authentication ceremony's response). */
export const createHandler = ({ http, passkeys }: PasskeyServices) =>
  endpoint(http, routeOf('passkey-login'), PasskeyLoginBody, async ({ body, client }) =>
    passkeys.logIn(body, client),
  );

export const handler = lambdaHandler(passkeyLoginServices, createHandler);
