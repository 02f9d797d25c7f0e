import { endpoint } from '../lib/http';
import { routeOf } from '../lib/routes';
import { lambdaHandler, type Services, services } from '../lib/services';
import { LoginBody } from '../lib/validation';

/** POST /sessions — log in with email and password; every log-in opens a new session. */
export const createHandler = ({ http, accounts }: Services) =>
  endpoint(http, routeOf('login'), LoginBody, async ({ body, client }) => accounts.login(body, client));

export const handler = lambdaHandler(services, createHandler);
