import { NotFoundError } from '../lib/errors';
import { endpoint } from '../lib/http';
import { identityServices, type OAuthServices } from '../lib/oauth/services';
import { routeOf } from '../lib/routes';
import { lambdaHandler } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { IdentityId } from '../lib/validation';

/** DELETE /users/me/identities/{identityId} — unlink one of the caller's identities. */
export const createHandler = ({ http, oauth }: OAuthServices) =>
  endpoint(
    withBearerAuth(http),
    routeOf('delete-identity'),
    undefined,
    async ({ caller, pathParameters }) => {
      const id = pathParameters.identityId ?? '';
      if (!IdentityId.safeParse(id).success) throw new NotFoundError('No identity of yours has this id.');
      await oauth.unlink(caller, id);
    },
  );

export const handler = lambdaHandler(identityServices, createHandler);
