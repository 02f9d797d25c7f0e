import { buildOpenApiDocument } from '../build/openapi';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type PublicServices, publicServices } from '../lib/services';

/**
 * GET /openapi.json — the OpenAPI 3.1 document of the API. In the bundle, `buildOpenApiDocument`
 * reads the document the build generated and shipped beside it (esbuild.config.mjs), so the
 * Lambda converts no schema; in tests it builds the same document from the source schemas.
 */
export const createHandler = ({ http }: PublicServices, document = buildOpenApiDocument()) =>
  endpoint(http, routeOf('openapi'), undefined, async () => document);

export const handler = lambdaHandler(publicServices, createHandler);
