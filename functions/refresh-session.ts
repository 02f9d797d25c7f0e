import { endpoint, ok } from '../lib/http';
import { type BaseServices, baseServices } from '../lib/services';
import { RefreshBody } from '../lib/validation';

/** POST /sessions/refresh — trade a refresh token for a new token pair (the old one is spent). */
export const createHandler = ({ http, access }: BaseServices) =>
  endpoint(http, { auth: false, body: RefreshBody }, async ({ body, client }) =>
    ok(await access.refresh(body, client)),
  );

export const handler = createHandler(baseServices());
