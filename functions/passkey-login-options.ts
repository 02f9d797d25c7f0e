import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PasskeyServices, passkeyLoginServices } from '../lib/services';

/** POST /sessions/passkey/options — request options for a passkey log-in. */
export const createHandler = ({ http, passkeys }: PasskeyServices) =>
  endpoint(http, routeOf('passkey-login-options'), undefined, async ({ client }) =>
    passkeys.loginOptions(client),
  );

export const handler = lambdaHandler(passkeyLoginServices, createHandler);
