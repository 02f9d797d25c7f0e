import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type RecoveryServices, recoveryServices } from '../lib/services';
import { PasswordResetBody } from '../lib/validation';

/** POST /password-resets — forgot password: the same 202 whether or not the address has an account. */
export const createHandler = ({ http, recovery }: RecoveryServices) =>
  endpoint(http, routeOf('request-password-reset'), PasswordResetBody, async ({ body, client }) =>
    recovery.requestPasswordReset(body, client),
  );

export const handler = lambdaHandler(recoveryServices, createHandler);
