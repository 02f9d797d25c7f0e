import { NotFoundError } from '../lib/errors';
import { endpoint, noContent } from '../lib/http';
import { type BaseServices, baseServices } from '../lib/services';
import { SessionId } from '../lib/validation';

/** DELETE /sessions/{id} — revoke one of the caller's sessions; any other id is 404. */
export const createHandler = ({ http, access }: BaseServices) =>
  endpoint(http, { auth: true }, async ({ caller, pathParameters }) => {
    const id = SessionId.safeParse(pathParameters.id);
    if (!id.success) throw new NotFoundError('No such session.');
    await access.revokeSession(caller, id.data);
    return noContent();
  });

export const handler = createHandler(baseServices());
