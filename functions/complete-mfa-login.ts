import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type SecondFactorServices, secondFactorServices } from '../lib/services';
import { MfaLoginBody } from '../lib/validation';

/** POST /sessions/mfa — complete a log-in that answered mfa_required. */
export const createHandler = ({ http, secondFactor }: SecondFactorServices) =>
  endpoint(http, routeOf('complete-mfa-login'), MfaLoginBody, async ({ body, client }) =>
    secondFactor.completeLogin(body, client),
  );

export const handler = lambdaHandler(secondFactorServices, createHandler);
