import { NotFoundError } from '../lib/errors';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PasskeyServices, passkeyPasswordServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { CurrentPasswordBody, PasskeyId } from '../lib/validation';

/** DELETE /users/me/passkeys/{passkeyId} — delete one of the caller's passkeys (password re-entered). */
export const createHandler = ({ http, passkeys }: PasskeyServices) =>
  endpoint(
    withBearerAuth(http),
    routeOf('delete-passkey'),
    CurrentPasswordBody,
    async ({ caller, body, pathParameters }) => {
      const id = pathParameters.passkeyId ?? '';
      if (!PasskeyId.safeParse(id).success) throw new NotFoundError('No passkey of yours has this id.');
      await passkeys.delete(caller, id, body);
    },
  );

export const handler = lambdaHandler(passkeyPasswordServices, createHandler);
