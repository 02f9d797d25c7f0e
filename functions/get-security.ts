import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type SecondFactorServices, secondFactorServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';

/** GET /users/me/security — which second factors are on. */
export const createHandler = ({ http, secondFactor }: SecondFactorServices) =>
  endpoint(withBearerAuth(http), routeOf('get-security'), undefined, async ({ caller }) =>
    secondFactor.security(caller),
  );

export const handler = lambdaHandler(secondFactorServices, createHandler);
