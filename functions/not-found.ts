import { endpoint } from '../lib/http';
import { routeError } from '../lib/routes';
import { type BaseServices, baseServices } from '../lib/services';

/** $default — every unknown path (404) or unsupported method on a known path (405 with `Allow`). */
export const createHandler = ({ http }: BaseServices) =>
  endpoint(http, { auth: false }, async ({ path }) => {
    throw routeError(path);
  });

export const handler = createHandler(baseServices());
