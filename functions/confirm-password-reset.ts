import { withSessionCookie } from '../lib/cookies/transport';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type ResetServices, resetServices } from '../lib/services';
import { PasswordResetConfirmBody } from '../lib/validation';

/** POST /password-resets/confirm — follow a reset link: a new password, every session revoked, one opened (none with a second factor on). */
export const createHandler = ({ http, reset }: ResetServices) =>
  endpoint(
    withSessionCookie(http),
    routeOf('confirm-password-reset'),
    PasswordResetConfirmBody,
    async ({ body, client }) => reset.confirmPasswordReset(body, client),
  );

export const handler = lambdaHandler(resetServices, createHandler);
