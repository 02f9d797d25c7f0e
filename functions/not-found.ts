import { endpoint } from '../lib/http';
import { CATCH_ALL, routeError } from '../lib/routes';
import { lambdaHandler, type PublicServices, publicServices } from '../lib/services';

/** $default — every unknown path (404) or unsupported method on a known path (405 with `Allow`). */
export const createHandler = ({ http }: PublicServices) =>
  endpoint(http, CATCH_ALL, undefined, async ({ path }) => {
    throw routeError(path);
  });

export const handler = lambdaHandler(publicServices, createHandler);
