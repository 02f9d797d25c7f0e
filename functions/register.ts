import { created, endpoint } from '../lib/http';
import { type Services, services } from '../lib/services';
import { RegisterBody } from '../lib/validation';

/** POST /users — create an account and log it in. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, { auth: false, body: RegisterBody }, async ({ body, client }) =>
    created(await accounts.register(body, client), '/users/me'),
  );

export const handler = createHandler(services());
