import { openIdConfiguration } from '../lib/discovery/openid-configuration';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PublicServices, publicServices } from '../lib/services';

/** GET /.well-known/openid-configuration — OpenID Connect discovery: the issuer and its `jwks_uri`. */
export const createHandler = ({ http, config }: PublicServices) =>
  endpoint(http, routeOf('openid-configuration'), undefined, async () => openIdConfiguration(config));

export const handler = lambdaHandler(publicServices, createHandler);
