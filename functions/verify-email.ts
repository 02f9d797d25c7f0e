import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { type LinkServices, lambdaHandler, verificationServices } from '../lib/services';
import { VerifyEmailBody } from '../lib/validation';

/** POST /email-verification — follow a verification link: the address is proved. */
export const createHandler = ({ http, links }: LinkServices) =>
  endpoint(http, routeOf('verify-email'), VerifyEmailBody, async ({ body }) => links.verifyEmail(body));

export const handler = lambdaHandler(verificationServices, createHandler);
