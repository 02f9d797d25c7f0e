import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PasskeyServices, passkeyServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';

/** GET /users/me/passkeys — the caller's passkeys. */
export const createHandler = ({ http, passkeys }: PasskeyServices) =>
  endpoint(withBearerAuth(http), routeOf('list-passkeys'), undefined, async ({ caller }) =>
    passkeys.list(caller),
  );

export const handler = lambdaHandler(passkeyServices, createHandler);
