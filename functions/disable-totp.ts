import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type SecondFactorServices, secondFactorPasswordServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { CurrentFactorBody } from '../lib/validation';

/** DELETE /users/me/totp — turn TOTP off; the recovery codes die too. */
export const createHandler = ({ http, secondFactor }: SecondFactorServices) =>
  endpoint(withBearerAuth(http), routeOf('disable-totp'), CurrentFactorBody, async ({ caller, body }) => {
    await secondFactor.disableTotp(caller, body);
  });

export const handler = lambdaHandler(secondFactorPasswordServices, createHandler);
