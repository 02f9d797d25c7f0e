import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PublicServices, publicServices } from '../lib/services';

/** GET /.well-known/jwks.json — the public keys that verify access tokens (current and previous). */
export const createHandler = ({ http, tokens }: PublicServices) =>
  endpoint(http, routeOf('jwks'), undefined, async () => tokens.jwks());

export const handler = lambdaHandler(publicServices, createHandler);
