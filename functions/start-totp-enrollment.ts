import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type SecondFactorServices, secondFactorPasswordServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { CurrentPasswordBody } from '../lib/validation';

/** POST /users/me/totp — start enrolling an authenticator app (pending until confirmed). */
export const createHandler = ({ http, secondFactor }: SecondFactorServices) =>
  endpoint(
    withBearerAuth(http),
    routeOf('start-totp-enrollment'),
    CurrentPasswordBody,
    async ({ caller, body }) => secondFactor.startTotp(caller, body),
  );

export const handler = lambdaHandler(secondFactorPasswordServices, createHandler);
