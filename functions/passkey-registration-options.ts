import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PasskeyServices, passkeyServices } from '../lib/services';

/** POST /users/me/passkeys/options — creation options for a new passkey. */
export const createHandler = ({ http, passkeys }: PasskeyServices) =>
  endpoint(http, routeOf('passkey-registration-options'), undefined, async ({ caller }) =>
    passkeys.registrationOptions(caller),
  );

export const handler = lambdaHandler(passkeyServices, createHandler);
