import { type EmailSignInServices, requestEmailSignInServices } from '../lib/email-sign-in/services';
import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler } from '../lib/services';
import { EmailSignInBody } from '../lib/validation';

/** POST /sessions/email — passwordless: mail a link and a code; the same 202 whatever the address. */
export const createHandler = ({ http, emailSignIn }: EmailSignInServices) =>
  endpoint(http, routeOf('request-email-sign-in'), EmailSignInBody, async ({ body, client }) =>
    emailSignIn.request(body, client),
  );

export const handler = lambdaHandler(requestEmailSignInServices, createHandler);
