import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type SecondFactorServices, secondFactorServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { TotpCodeBody } from '../lib/validation';

/** POST /users/me/totp/confirm — turn TOTP on with a first code; the recovery codes, once. */
export const createHandler = ({ http, secondFactor }: SecondFactorServices) =>
  endpoint(withBearerAuth(http), routeOf('confirm-totp'), TotpCodeBody, async ({ caller, body }) =>
    secondFactor.confirmTotp(caller, body),
  );

export const handler = lambdaHandler(secondFactorServices, createHandler);
