import { endpoint, ok } from '../lib/http';
import { buildOpenApiDocument } from '../lib/openapi';
import { type BaseServices, baseServices } from '../lib/services';

/**
 * GET /openapi.json — the OpenAPI 3.1 document of the API. In the bundle, `buildOpenApiDocument`
 * reads the document the build generated and shipped beside it (esbuild.config.mjs), so the
 * Lambda converts no schema; in tests it builds the same document from the source schemas.
 */
export const createHandler = ({ http }: BaseServices, document = buildOpenApiDocument()) =>
  endpoint(http, { auth: false, headers: { 'Cache-Control': 'public, max-age=300' } }, async () =>
    ok(document),
  );

export const handler = createHandler(baseServices());
