import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type RecoveryServices, recoveryServices } from '../lib/services';
import { RevertEmailChangeBody } from '../lib/validation';

/** POST /email-changes/revert — the old address's link undoes an email change and shuts its maker out. */
export const createHandler = ({ http, recovery }: RecoveryServices) =>
  endpoint(http, routeOf('revert-email-change'), RevertEmailChangeBody, async ({ body }) =>
    recovery.revertEmailChange(body),
  );

export const handler = lambdaHandler(recoveryServices, createHandler);
