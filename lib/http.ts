import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { type cookieTransport, credentialedCors } from './cookies/transport';
import cors from './cors.json';
import { AppError, problem, UnauthorizedError, ValidationError, wired } from './errors';
import type { Caller } from './records';
import { type BodyReader, READ_BODY, SCHEMA_NAME } from './request-body';
import type * as resources from './resources';
import type { ResourceName, Route } from './routes';
import type { JwsVerifier, TokenService } from './tokens';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** Where a request came from: the API Gateway source IP and the User-Agent header. */
export interface ClientInfo {
  ip: string;
  userAgent: string;
}

/** What the shared stack needs from the composition root. */
export interface HttpDeps {
  tokens: TokenService;
  logger: Logger;
  corsAllowedOrigins: string[];
  /** The CloudFront edge's origin secret ('' without the edge): see `clientAddress`. */
  edgeOriginSecret: string;
  /** Whether the caller's session still exists (one round trip); asked only before refusing a body. */
  sessionAlive(caller: Caller): Promise<boolean>;
  /**
   * The cookie transport, handed in (`withSessionCookie`, lib/cookies/transport.ts) by the
   * functions whose route has a `sessionCookie` role, and required for them: the others never
   * bundle it.
   */
  cookieTransport?: typeof cookieTransport;
  /**
   * The access token check, handed in (`withBearerAuth`, lib/tokens.ts) by the functions whose
   * route takes a bearer token (`auth`, `optionalAuth`), and required for them: the others never
   * bundle the verifying half of jose.
   */
  verifyJws?: JwsVerifier;
}

/** What a handler receives: the validated body, the caller when authenticated, and the client. */
export interface Input<B, A extends boolean> {
  body: B;
  /** The caller; on a route with `optionalAuth`, present only when a bearer token was sent. */
  caller: A extends true ? Caller : Caller | undefined;
  client: ClientInfo;
  pathParameters: Record<string, string | undefined>;
  path: string;
  /** The raw event, for the few routes that read a query or a form (social log-in's callback). */
  event: HttpEvent;
}

const REDIRECT = Symbol('redirect');

/** What a handler of a 302 route returns: where the browser goes next. */
export interface Redirect {
  [REDIRECT]: true;
  location: string;
}

/** A 302 to `location` (routes whose success status is 302). */
export const redirect = (location: string): Redirect => ({ [REDIRECT]: true, location });

/**
 * The body the handler of `R` answers, from its row of the route table: what its `response` schema
 * (lib/resources.ts) describes, a `redirect` for a 302, nothing for a 202 or 204. A handler
 * returning another shape fails `npm run typecheck` (tests/types/endpoint-shape.ts). Only the
 * catch-all, which always throws, has no resource: `unknown`.
 */
export type ResponseOf<R extends Route> = R['status'] extends 302
  ? Redirect
  : R extends { response: infer N extends ResourceName }
    ? z.infer<(typeof resources)[N]>
    : R['status'] extends 202 | 204
      ? undefined
      : unknown;

/** What `endpoint`'s `handle` answers for `R`: its `ResponseOf`, or no value on a 202 or 204. */
// biome-ignore lint/suspicious/noConfusingVoidType: a 204's handler ends in `await op()`, a Promise<void>.
type Handled<R extends Route> = R['status'] extends 202 | 204 ? void : ResponseOf<R>;

/** The members any part of the union `S` has. */
type KeysOf<S> = S extends unknown ? keyof S : never;
/** What member `K` holds in those parts of the union `S` that have it. */
type MemberOf<S, K extends PropertyKey> = S extends unknown ? (K extends keyof S ? S[K] : never) : never;

/**
 * `T` with every member that `S` lacks, at any depth, turned into `never`: as the strict schemas of
 * lib/resources.ts refuse an extra member, so does the compiler (a password hash next to a user).
 */
type Exact<T, S> = unknown extends S
  ? T
  : T extends readonly unknown[]
    ? { [I in keyof T]: Exact<T[I], MemberOf<S, number>> }
    : T extends object
      ? { [K in keyof T]: K extends KeysOf<S> ? Exact<T[K], MemberOf<S, K>> : never }
      : T;

const JSON_TYPES = ['application/json'];
const PATCH_TYPES = ['application/json', 'application/merge-patch+json'];

/**
 * `node:net`'s `isIP`, loaded on first use: `node:net` costs ≈3.5 ms to load, and only requests
 * through the CloudFront edge need it (`npm run bench`'s cold import saw every function pay it).
 */
let isIP: ((input: string) => number) | undefined;
const isIpAddress = (input: string): boolean => {
  isIP ??= (require('node:net') as typeof import('node:net')).isIP;
  return isIP(input) !== 0;
};

/**
 * The client's address for every per-client limit: API Gateway's `sourceIp` (the address that
 * connected), never a header a client could write — except behind the optional CloudFront edge,
 * where API Gateway sees CloudFront's address and the client's is in `CloudFront-Viewer-Address`
 * (`<ip>:<port>`). That header is believed only on requests carrying the origin secret CloudFront
 * adds (`X-Origin-Verify`), so a direct call to the API cannot forge it.
 */
export function clientAddress(event: HttpEvent, edgeOriginSecret: string): string {
  const sourceIp = event.requestContext?.http?.sourceIp ?? 'unknown';
  if (!edgeOriginSecret) return sourceIp;
  const presented = Buffer.from(event.headers?.['x-origin-verify'] ?? '');
  const expected = Buffer.from(edgeOriginSecret);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return sourceIp;
  const viewer = event.headers?.['cloudfront-viewer-address'] ?? '';
  const ip = viewer.slice(0, viewer.lastIndexOf(':'));
  return isIpAddress(ip) ? ip : sourceIp;
}

/** A string with any lone UTF-16 surrogate replaced by U+FFFD (what a header cut mid-pair may carry). */
const wellFormed = (text: string): string => text.replace(/\p{Cs}/gu, '\uFFFD');

/** The problem+json response of `error` (RFC 9457), as every failure is answered. */
export const problemResponse = (error: AppError, requestId: string): HttpResult => ({
  statusCode: error.statusCode,
  headers: { ...error.headers, 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' },
  body: JSON.stringify({
    type: `urn:account-service:problem:${error.code}`,
    title: error.title,
    status: error.statusCode,
    detail: error.message,
    code: error.code,
    requestId,
    ...(error instanceof ValidationError ? { errors: error.errors } : {}),
    ...error.extensions,
  }),
});

/**
 * Reads the bearer token from the `Authorization` header only, and verifies it. The session
 * behind it is checked by the operation itself, atomically with what it does.
 */
async function authenticate(event: HttpEvent, tokens: TokenService, verify: JwsVerifier): Promise<Caller> {
  const header = event.headers?.authorization;
  // No bearer token at all (absent, or another scheme such as Basic): a bare challenge (RFC 6750 §3.1).
  if (header === undefined || !/^bearer(\s|$)/i.test(header.trim())) throw new UnauthorizedError(false);
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(header.trim());
  const claims = match?.[1] ? await tokens.verifyAccessToken(match[1], verify) : null;
  if (!claims) throw new UnauthorizedError(true);
  return claims;
}

/** Turns whatever was thrown into an AppError; anything unexpected is logged and becomes a generic 500. */
function toAppError(error: unknown, logger: Logger): AppError {
  if (error instanceof AppError) {
    if (error.statusCode >= 500) logger.error('request failed', { error: error.cause ?? error.code });
    return error;
  }
  logger.error('unexpected error', error instanceof Error ? error : String(error));
  return problem('internal_error');
}

/** Success headers the route table implies: a cache lifetime or `no-store`, and a 201's `Location`. */
function successHeaders(route: Route): Record<string, string> {
  return {
    'Cache-Control': route.cacheSeconds ? `public, max-age=${route.cacheSeconds}` : 'no-store',
    ...(route.location ? { Location: route.location } : {}),
  };
}

/**
 * Builds one Lambda handler for `route` (lib/routes.ts) with the shared Middy stack: request-id
 * logging, CORS, security headers, bearer authentication when the route requires it, body checks
 * against `body` (the schema the route names) and the problem+json error contract (registered
 * last, so it runs first on error and the CORS/security middlewares still decorate its response).
 * `handle` returns the success body, typed by the route's `response` (`ResponseOf`: nothing for 202
 * and 204), with no member the resource lacks; status and headers come from the route.
 */
export function endpoint<
  R extends Route,
  S extends z.ZodMiniType | undefined = undefined,
  T extends Handled<R> = Handled<R>,
>(
  deps: HttpDeps,
  route: R,
  body: S,
  handle: (
    input: Input<S extends z.ZodMiniType ? z.infer<S> : undefined, R['auth']>,
  ) => Promise<T & Exact<T, Handled<R>>>,
): HttpHandler {
  const { tokens, logger } = deps;
  const bodyName = (body as { [SCHEMA_NAME]?: string } | undefined)?.[SCHEMA_NAME];
  if (bodyName !== route.body)
    throw new Error(
      `${route.fn}: the route takes ${route.body ?? 'no body'}, the handler ${bodyName ?? 'none'}`,
    );
  const readBody = (body as { [READ_BODY]?: BodyReader } | undefined)?.[READ_BODY];
  if (body && !readBody) throw new Error(`${route.fn}: a body schema without its reader (lib/validation.ts)`);
  const accepted = route.method === 'PATCH' ? PATCH_TYPES : JSON_TYPES;
  const headers = successHeaders(route);
  const sessionCookie = route.sessionCookie
    ? wired(deps.cookieTransport, 'the cookie transport')(route.sessionCookie, deps.corsAllowedOrigins)
    : () => null;
  const verify = route.auth || route.optionalAuth ? wired(deps.verifyJws, 'the token verifier') : undefined;
  const core = async (event: HttpEvent): Promise<HttpResult> => {
    // Cookie mode (`Session-Transport: cookie`) passes its CSRF gate before anything runs.
    const cookie = sessionCookie(event);
    const bearerSent = route.optionalAuth === true && event.headers?.authorization !== undefined;
    const caller =
      verify && (route.auth || bearerSent) ? await authenticate(event, tokens, verify) : undefined;
    let input: unknown;
    try {
      input = readBody?.(event, accepted, (raw) => {
        const given = raw === undefined && route.bodyOptional ? {} : raw;
        return cookie ? cookie.requestBody(given) : given;
      });
    } catch (error) {
      // docs/decisions.md: a revoked token is refused before the body is looked at. The operation checks the
      // session atomically on success; on a bad body we check it here first, so the happy path
      // keeps its single round trip and a revoked token never learns about its body.
      if (caller && !(await deps.sessionAlive(caller))) throw new UnauthorizedError(true);
      throw error;
    }
    const result = await handle({
      body: input,
      caller,
      client: {
        ip: clientAddress(event, deps.edgeOriginSecret),
        userAgent: wellFormed(event.headers?.['user-agent'] ?? ''),
      },
      pathParameters: event.pathParameters ?? {},
      path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
      event,
    } as Input<S extends z.ZodMiniType ? z.infer<S> : undefined, R['auth']>);
    if (route.status === 302) {
      const location = (result as Redirect | undefined)?.[REDIRECT] ? (result as Redirect).location : null;
      if (!location) throw new Error(`${route.fn}: a 302 needs a redirect()`);
      return { statusCode: 302, headers: { ...headers, Location: location }, body: '' };
    }
    const empty = route.status === 202 || route.status === 204;
    if (empty !== (result === undefined))
      throw new Error(`${route.fn}: a ${route.status} body must be ${empty ? 'empty' : 'present'}`);
    const shaped = cookie ? cookie.respond(result) : { body: result, cookies: [] };
    return {
      statusCode: route.status,
      headers: { ...headers, ...(empty ? {} : { 'Content-Type': 'application/json' }) },
      body: empty ? '' : JSON.stringify(shaped.body),
      // Payload 2.0: API Gateway sends each as its own Set-Cookie header.
      ...(shaped.cookies.length ? { cookies: shaped.cookies } : {}),
    };
  };
  return (
    middy<HttpEvent, HttpResult, Error, Context>(core)
      .use(injectLambdaContext(logger, { resetKeys: true }))
      // Before http-cors, so that it runs after it: Allow-Credentials and Vary on its answer.
      .use(credentialedCors(deps.corsAllowedOrigins))
      .use(
        httpCors({
          origins: deps.corsAllowedOrigins,
          exposeHeaders: cors.exposedHeaders.join(', '),
          disableBeforePreflightResponse: true,
        }),
      )
      // No Reporting-Endpoints: without endpoints Middy would send it empty (the option is missing from its types).
      .use(httpSecurityHeaders({ reportingEndpoints: false } as Parameters<typeof httpSecurityHeaders>[0]))
      .use({
        onError: async (request) => {
          const error = toAppError(request.error, logger);
          request.response = problemResponse(error, request.context.awsRequestId);
        },
      }) as unknown as HttpHandler
  );
}
