import { endpoint, ok } from '../lib/http';
import { type Services, services } from '../lib/services';

/** GET /users/me — the caller's profile. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, { auth: true }, async ({ caller }) => ok(await accounts.getProfile(caller)));

export const handler = createHandler(services());
