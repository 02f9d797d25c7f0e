import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PasskeyServices, passkeyServices } from '../lib/services';
import { AddPasskeyBody } from '../lib/validation';

/** POST /users/me/passkeys — register a passkey (the registration ceremony's response). */
export const createHandler = ({ http, passkeys }: PasskeyServices) =>
  endpoint(http, routeOf('add-passkey'), AddPasskeyBody, async ({ caller, body }) =>
    passkeys.add(caller, body),
  );

export const handler = lambdaHandler(passkeyServices, createHandler);
