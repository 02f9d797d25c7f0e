import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type BaseServices, baseServices, lambdaHandler } from '../lib/services';

/** GET /.well-known/jwks.json — the public keys that verify access tokens (current and previous). */
export const createHandler = ({ http, tokens }: BaseServices) =>
  endpoint(http, routeOf('jwks'), undefined, async () => tokens.jwks());

export const handler = lambdaHandler(baseServices, createHandler);
