import { type ExportServices, exportServices } from '../lib/export/services';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';

/** GET /users/me/export — everything the service keeps about the caller (no hash, secret or token). */
export const createHandler = ({ http, accountExport }: ExportServices) =>
  endpoint(withBearerAuth(http), routeOf('export-account'), undefined, async ({ caller }) =>
    accountExport.exportOwn(caller),
  );

export const handler = lambdaHandler(exportServices, createHandler);
