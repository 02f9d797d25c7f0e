import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type Services, services } from '../lib/services';
import { RegisterBody } from '../lib/validation';

/** POST /users — create an account and log it in. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, routeOf('register'), RegisterBody, async ({ body, client }) =>
    accounts.register(body, client),
  );

export const handler = lambdaHandler(services, createHandler);
