import { type AppError, MethodNotAllowedError, NotFoundError } from './errors';

/**
 * The API's routes and their methods (API.md). `serverless.yml` declares the same table; the
 * catch-all uses it to tell an unknown path (404) from a method the path does not support (405).
 */
export const ROUTES: ReadonlyArray<{ path: string; methods: string[] }> = [
  { path: '/users', methods: ['POST'] },
  { path: '/users/me', methods: ['GET', 'PATCH', 'DELETE'] },
  { path: '/users/me/password', methods: ['PUT'] },
  { path: '/sessions', methods: ['GET', 'POST', 'DELETE'] },
  { path: '/sessions/refresh', methods: ['POST'] },
  { path: '/sessions/current', methods: ['DELETE'] },
  { path: '/sessions/{id}', methods: ['DELETE'] },
  { path: '/.well-known/jwks.json', methods: ['GET'] },
  { path: '/openapi.json', methods: ['GET'] },
];

const matches = (template: string, path: string): boolean => {
  const a = template.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((part, i) => (part.startsWith('{') ? b[i] !== '' : part === b[i]));
};

/** The error for a request no route took: 405 with `Allow` when the path exists, else 404. */
export function routeError(path: string): AppError {
  const normalised = path.length > 1 ? path.replace(/\/+$/, '') : path;
  // A static route wins over a template, as in API Gateway.
  const route =
    ROUTES.find((r) => r.path === normalised) ??
    ROUTES.find((r) => r.path.includes('{') && matches(r.path, normalised));
  return route ? new MethodNotAllowedError(route.methods) : new NotFoundError();
}
