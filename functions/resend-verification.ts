import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type RecoveryServices, recoveryServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';

/** POST /users/me/email-verification — mail a new verification link to the caller's address. */
export const createHandler = ({ http, recovery }: RecoveryServices) =>
  endpoint(withBearerAuth(http), routeOf('resend-verification'), undefined, async ({ caller, client }) =>
    recovery.requestVerification(caller, client),
  );

export const handler = lambdaHandler(recoveryServices, createHandler);
