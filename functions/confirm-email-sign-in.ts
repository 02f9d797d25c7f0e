import { withSessionCookie } from '../lib/cookies/transport';
import { confirmEmailSignInServices, type EmailSignInServices } from '../lib/email-sign-in/services';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler } from '../lib/services';
import { EmailSignInConfirmBody } from '../lib/validation';

/** POST /sessions/email/confirm — follow a sign-in mail by its link or its code: signed in (or signed up). */
export const createHandler = ({ http, emailSignIn }: EmailSignInServices) =>
  endpoint(
    withSessionCookie(http),
    routeOf('confirm-email-sign-in'),
    EmailSignInConfirmBody,
    async ({ body, client }) => emailSignIn.confirm(body, client),
  );

export const handler = lambdaHandler(confirmEmailSignInServices, createHandler);
