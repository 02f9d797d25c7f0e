import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { OriginNotAllowedError, ValidationError } from '../errors';
import type { HttpDeps } from '../http';
import { clearedRefreshCookie, readRefreshCookie, refreshCookie } from './session-cookie';

/**
 * A route's part in the cookie transport, named by its row in lib/routes.ts (`sessionCookie`):
 * - `issue`: it answers a session; in cookie mode the refresh token leaves the body for the cookie;
 * - `refresh`: the same, and with no body (or `{}`) it takes the token from the cookie;
 * - `clear`: it ends the session (log-out, log-out everywhere, deletion); the cookie is deleted.
 */
export type SessionCookieRole = 'issue' | 'refresh' | 'clear';

/** The request header that opts in, per request: `Session-Transport: cookie`. */
export const SESSION_TRANSPORT_HEADER = 'Session-Transport';

/** What a route does with one cookie-mode request: the body it parses, the response it sends. */
export interface CookieExchange {
  /** The body to validate: for `refresh`, the cookie's token in place of an empty body. */
  requestBody(raw: unknown): unknown;
  /** The success body without the refresh token, and the `Set-Cookie` values to send with it. */
  respond(result: unknown): { body: unknown; cookies: string[] };
}

/** The origins allowed to use the cookie: listed ones only, never through `*`. */
export const credentialedOrigins = (corsAllowedOrigins: string[]): Set<string> =>
  new Set(corsAllowedOrigins.filter((origin) => origin !== '*').map((origin) => new URL(origin).origin));

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The media type of the request's body, lowercased, without parameters. */
const mediaType = (event: APIGatewayProxyEventV2): string =>
  (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * The CSRF gate of every cookie-mode request, checked before anything else runs (nothing is read,
 * rotated or set when it fails): its `Origin` must be one of the listed CORS origins — a request
 * from any other site, or one without an Origin, is refused — and a body must be JSON, which no
 * form can send (and no cross-origin script can send without a CORS preflight we answer only for
 * those origins). SameSite=Strict and the custom header already keep other sites out; this
 * check holds even where they do not (an old browser, a sibling subdomain, a site on the list's
 * same registrable domain that is not on the list).
 */
function checkCsrf(event: APIGatewayProxyEventV2, allowed: Set<string>): void {
  const origin = event.headers?.origin;
  if (origin === undefined || !allowed.has(origin))
    throw new OriginNotAllowedError('This origin may not use the session cookie.');
  const hasBody = event.body !== undefined && event.body !== null && event.body !== '';
  if (hasBody && mediaType(event) !== 'application/json')
    throw new OriginNotAllowedError(
      'A request that uses the session cookie must send its body as application/json.',
    );
}

/** A `session` member of a success body, when it carries a refresh token. */
function sessionOf(result: unknown): { refreshToken: string; refreshExpiresIn: number } | null {
  const session = isPlainObject(result) ? result.session : undefined;
  return isPlainObject(session) && typeof session.refreshToken === 'string'
    ? (session as { refreshToken: string; refreshExpiresIn: number })
    : null;
}

/**
 * The cookie transport of one route (README "Cookie transport for browser apps"), built once per
 * handler: returns, for each request, null when the request did not opt in (Bearer clients see no
 * difference at all), else its `CookieExchange` — after the CSRF gate has passed.
 */
export function cookieTransport(
  role: SessionCookieRole,
  corsAllowedOrigins: string[],
): (event: APIGatewayProxyEventV2) => CookieExchange | null {
  const allowed = credentialedOrigins(corsAllowedOrigins);
  return (event) => {
    const mode = event.headers?.[SESSION_TRANSPORT_HEADER.toLowerCase()];
    if (mode?.trim().toLowerCase() !== 'cookie') return null;
    checkCsrf(event, allowed);
    return {
      requestBody(raw) {
        if (role !== 'refresh') return raw;
        if (isPlainObject(raw) && Object.keys(raw).length > 0)
          throw new ValidationError(
            Object.keys(raw).map((field) => ({
              field,
              message: 'is not allowed with Session-Transport: cookie (the refresh token is the cookie)',
            })),
          );
        // Not an object at all (`[]`, `1`): left to the schema, which says so.
        if (raw !== undefined && !isPlainObject(raw)) return raw;
        return { refreshToken: readRefreshCookie(event) };
      },
      respond(result) {
        if (role === 'clear') return { body: result, cookies: [clearedRefreshCookie()] };
        const session = sessionOf(result);
        // No session in the answer (e.g. a reset of an account with a second factor): no cookie.
        if (!session) return { body: result, cookies: [] };
        const { refreshToken, ...rest } = session;
        return {
          body: { ...(result as Record<string, unknown>), session: rest },
          cookies: [refreshCookie(refreshToken, session.refreshExpiresIn)],
        };
      },
    };
  };
}

/**
 * The HTTP dependencies of a function whose route has a `sessionCookie` role, with the cookie
 * transport: lib/http.ts `endpoint` refuses to build such a route's handler without it (a
 * `WiringError` at the cold start), and no other function bundles it.
 */
export const withSessionCookie = (http: HttpDeps): HttpDeps => ({ ...http, cookieTransport });

type Result = APIGatewayProxyStructuredResultV2;

/**
 * Credentialed CORS for every response, errors included: `Access-Control-Allow-Credentials: true`
 * only when the request's Origin is one of the listed origins (never with `*`), and `Vary: Origin`
 * whenever CORS is on, since the answer depends on the Origin. Register it before `@middy/http-cors`
 * so that it runs after it.
 */
export function credentialedCors(
  corsAllowedOrigins: string[],
): MiddlewareObj<APIGatewayProxyEventV2, Result> {
  const allowed = credentialedOrigins(corsAllowedOrigins);
  const decorate = async (request: {
    event: APIGatewayProxyEventV2;
    response: Result | null | undefined;
  }) => {
    const response = request.response;
    if (!response || corsAllowedOrigins.length === 0) return;
    const headers = { ...response.headers };
    const origin = request.event.headers?.origin;
    if (origin !== undefined && allowed.has(origin)) headers['Access-Control-Allow-Credentials'] = 'true';
    const varyName = Object.keys(headers).find((name) => name.toLowerCase() === 'vary') ?? 'Vary';
    const vary = String(headers[varyName] ?? '');
    if (!vary.split(',').some((part) => part.trim().toLowerCase() === 'origin'))
      headers[varyName] = vary ? `${vary}, Origin` : 'Origin';
    response.headers = headers;
  };
  return { after: decorate, onError: decorate };
}
