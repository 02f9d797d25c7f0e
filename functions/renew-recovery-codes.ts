import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type SecondFactorServices, secondFactorPasswordServices } from '../lib/services';
import { withBearerAuth } from '../lib/tokens';
import { CurrentFactorBody } from '../lib/validation';

/** POST /users/me/recovery-codes — a new set of recovery codes (the old set dies). */
export const createHandler = ({ http, secondFactor }: SecondFactorServices) =>
  endpoint(
    withBearerAuth(http),
    routeOf('renew-recovery-codes'),
    CurrentFactorBody,
    async ({ caller, body }) => secondFactor.renewRecoveryCodes(caller, body),
  );

export const handler = lambdaHandler(secondFactorPasswordServices, createHandler);
