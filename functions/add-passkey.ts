import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import {
  lambdaHandler,
  type PasskeyRegistrationServices,
  passkeyRegistrationServices,
} from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { AddPasskeyBody } from '../lib/validation';

/** POST /users/me/passkeys — register a passkey (the registration ceremony's response). */
export const createHandler = ({ http, ceremonies }: PasskeyRegistrationServices) =>
  endpoint(withBearerAuth(http), routeOf('add-passkey'), AddPasskeyBody, async ({ caller, body }) =>
    ceremonies.add(caller, body),
  );

export const handler = lambdaHandler(passkeyRegistrationServices, createHandler);
