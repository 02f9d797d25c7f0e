import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ENDPOINTS } from '../../bench/endpoints';
import cors from '../../lib/cors.json';
import { AppError } from '../../lib/errors';
import { CATCH_ALL, methodsOf, ROUTES, routeError, WORKERS } from '../../lib/routes';

/** The parts of the error a client sees. */
const wire = (error: AppError) => ({
  statusCode: error.statusCode,
  code: error.code,
  headers: error.headers,
  message: error.message,
});

const notFound = {
  statusCode: 404,
  code: 'not_found',
  headers: {},
  message: 'The requested resource does not exist.',
};
const methodNotAllowed = (allow: string) => ({
  statusCode: 405,
  code: 'method_not_allowed',
  headers: { Allow: allow },
  message: `Allowed methods: ${allow}.`,
});

describe('routeError', () => {
  test.each([
    ['/users', 'POST'],
    ['/users/me', 'GET, PATCH, DELETE'],
    ['/users/me/password', 'PUT'],
    ['/sessions', 'GET, POST, DELETE'],
    ['/sessions/refresh', 'POST'],
    ['/sessions/current', 'DELETE'],
    ['/sessions/ses_x', 'DELETE'],
    ['/sessions/ses_AAAAAAAAAAAAAAAAAAAAAA', 'DELETE'],
    ['/.well-known/jwks.json', 'GET'],
    ['/.well-known/openid-configuration', 'GET'],
    ['/openapi.json', 'GET'],
  ])('known path %s with another method → 405, Allow: %s', (path, allow) => {
    // Act
    const error = routeError(path);

    // Assess
    expect(error).toBeInstanceOf(AppError);
    expect(wire(error)).toEqual(methodNotAllowed(allow));
  });

  test.each([
    ['/users/me/', 'GET, PATCH, DELETE'],
    ['/users/', 'POST'],
    ['/sessions/', 'GET, POST, DELETE'],
    ['/sessions//', 'GET, POST, DELETE'],
    ['/sessions/current/', 'DELETE'],
    ['/sessions/ses_x/', 'DELETE'],
  ])('a trailing slash is the same path: %s → 405, Allow: %s', (path, allow) => {
    expect(wire(routeError(path))).toEqual(methodNotAllowed(allow));
  });

  test.each([
    '/',
    '',
    '/nope',
    '/user',
    '/users/you',
    '/users/me/email',
    '/USERS',
    '/Users/Me',
    '/sessions/ses_x/extra',
    '/users/me/password/reset',
    '/.well-known/oauth-authorization-server',
    '/openapi.yaml',
    '//users',
    '/users/me/../me',
  ])('unknown path %j → 404 not_found', (path) => {
    expect(wire(routeError(path))).toEqual(notFound);
  });

  test('every route in the table answers 405 with exactly its methods', () => {
    for (const route of ROUTES) {
      const path = route.path.replace('{id}', 'ses_anything');
      expect(routeError(path).headers).toEqual({ Allow: methodsOf(route.path).join(', ') });
      expect(methodsOf(route.path)).toContain(route.method);
    }
  });

  test('a static route wins over the {id} template', () => {
    // /sessions/refresh would otherwise match /sessions/{id} (DELETE)
    expect(routeError('/sessions/refresh').headers).toEqual({ Allow: 'POST' });
  });
});

describe('the route table', () => {
  test('each function serves one route, and each has a file in functions/', () => {
    const fns = ROUTES.map((route) => route.fn);
    expect(new Set(fns).size).toBe(fns.length);
    const files = readdirSync(join(__dirname, '../../functions')).map((file) => file.replace(/\.ts$/, ''));
    expect([...fns, CATCH_ALL.fn, ...WORKERS.map((worker) => worker.fn)].sort()).toEqual(files.sort());
  });

  test('operation ids are unique', () => {
    const ids = ROUTES.map((route) => route.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('the bench drives every function', () => {
    const benched = new Set(ENDPOINTS.map((endpoint) => endpoint.fn));
    expect([...ROUTES.map((route) => route.fn), CATCH_ALL.fn].filter((fn) => !benched.has(fn))).toEqual([]);
  });

  test('the CORS policy allows every method the routes use', () => {
    expect([...new Set(ROUTES.map((route) => route.method))].sort()).toEqual([...cors.allowedMethods].sort());
  });
});
