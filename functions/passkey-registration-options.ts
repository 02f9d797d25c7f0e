import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PasskeyServices, passkeyPasswordServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { PasskeyOptionsBody } from '../lib/validation';

/** POST /users/me/passkeys/options — creation options for a new passkey. */
export const createHandler = ({ http, passkeys }: PasskeyServices) =>
  endpoint(
    withBearerAuth(http),
    routeOf('passkey-registration-options'),
    PasskeyOptionsBody,
    async ({ caller, body }) => passkeys.registrationOptions(caller, body),
  );

export const handler = lambdaHandler(passkeyPasswordServices, createHandler);
