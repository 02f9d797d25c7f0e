import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type RecoveryServices, recoveryServices } from '../lib/services';
import { VerifyEmailBody } from '../lib/validation';

/** POST /email-verification — follow a verification link: the address is proved. */
export const createHandler = ({ http, recovery }: RecoveryServices) =>
  endpoint(http, routeOf('verify-email'), VerifyEmailBody, async ({ body }) => recovery.verifyEmail(body));

export const handler = lambdaHandler(recoveryServices, createHandler);
