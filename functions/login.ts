import { endpoint, ok } from '../lib/http';
import { type Services, services } from '../lib/services';
import { LoginBody } from '../lib/validation';

/** POST /sessions — log in with email and password; every log-in opens a new session. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, { auth: false, body: LoginBody }, async ({ body, client }) =>
    ok(await accounts.login(body, client)),
  );

export const handler = createHandler(services());
