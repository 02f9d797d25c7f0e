import { NotFoundError } from '../lib/errors';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type AccessServices, accessServices, lambdaHandler } from '../lib/services';
import { createSessionRevoker, SESSION_ID_PATTERN } from '../lib/sessions/store';
import { withBearerAuth } from '../lib/tokens';

/** DELETE /sessions/{id} — revoke one of the caller's sessions; any other id is 404. */
export const createHandler = ({ http, access }: AccessServices) =>
  endpoint(withBearerAuth(http), routeOf('revoke-session'), undefined, async ({ caller, pathParameters }) => {
    const id = pathParameters.id ?? '';
    if (!SESSION_ID_PATTERN.test(id)) throw new NotFoundError('No such session.');
    await access.revokeSession(caller, id);
  });

export const handler = lambdaHandler(accessServices(createSessionRevoker), createHandler);
