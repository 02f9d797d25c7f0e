import { endpoint, ok } from '../lib/http';
import { type BaseServices, baseServices } from '../lib/services';

/** GET /users/me — the caller's profile. */
export const createHandler = ({ http, access }: BaseServices) =>
  endpoint(http, { auth: true }, async ({ caller }) => ok(await access.getProfile(caller)));

export const handler = createHandler(baseServices());
