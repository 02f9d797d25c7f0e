import { endpoint, ok } from '../lib/http';
import { type Services, services } from '../lib/services';

/** GET /.well-known/jwks.json — the public keys that verify access tokens (current and previous). */
export const createHandler = ({ http, tokens }: Services) =>
  endpoint(http, { auth: false, headers: { 'Cache-Control': 'public, max-age=300' } }, async () =>
    ok(await tokens.jwks()),
  );

export const handler = createHandler(services());
