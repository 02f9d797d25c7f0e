import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type LinkServices, lambdaHandler, revertServices } from '../lib/services';
import { RevertEmailChangeBody } from '../lib/validation';

/** POST /email-changes/revert — the old address's link undoes an email change and shuts its maker out. */
export const createHandler = ({ http, links }: LinkServices) =>
  endpoint(http, routeOf('revert-email-change'), RevertEmailChangeBody, async ({ body }) =>
    links.revertEmailChange(body),
  );

export const handler = lambdaHandler(revertServices, createHandler);
