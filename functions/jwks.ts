import { endpoint, ok } from '../lib/http';
import { type BaseServices, baseServices } from '../lib/services';

/** GET /.well-known/jwks.json — the public keys that verify access tokens (current and previous). */
export const createHandler = ({ http, tokens }: BaseServices) =>
  endpoint(http, { auth: false, headers: { 'Cache-Control': 'public, max-age=300' } }, async () =>
    ok(await tokens.jwks()),
  );

export const handler = createHandler(baseServices());
