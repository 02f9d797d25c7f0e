import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PasskeyCeremonyServices, passkeyLoginCeremonyServices } from '../lib/services';
import { PasskeyLoginBody } from '../lib/validation';

/** POST /sessions/passkey — log in with a passkey (the authentication ceremony's response). */
export const createHandler = ({ http, ceremonies }: PasskeyCeremonyServices) =>
  endpoint(http, routeOf('passkey-login'), PasskeyLoginBody, async ({ body, client }) =>
    ceremonies.logIn(body, client),
  );

export const handler = lambdaHandler(passkeyLoginCeremonyServices, createHandler);
