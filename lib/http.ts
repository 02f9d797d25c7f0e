import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { ClientInfo } from './accounts';
import { AppError, InternalError, UnauthorizedError, ValidationError } from './errors';
import { parseBody, readJsonBody } from './request-body';
import type { TokenService } from './tokens';
import type { Caller } from './users';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** What the shared stack needs from the composition root. */
export interface HttpDeps {
  tokens: TokenService;
  logger: Logger;
  corsAllowedOrigins: string[];
  /** Whether the caller's session still exists (one round trip); asked only before refusing a body. */
  sessionAlive(caller: Caller): Promise<boolean>;
}

/** What a handler receives: the validated body, the caller when authenticated, and the client. */
export interface Input<B, A extends boolean> {
  body: B;
  caller: A extends true ? Caller : undefined;
  client: ClientInfo;
  pathParameters: Record<string, string | undefined>;
  path: string;
}

/** A success response; `body` is serialised as JSON. Error responses never come through here. */
export interface Reply {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const JSON_TYPES = ['application/json'];
const PATCH_TYPES = ['application/json', 'application/merge-patch+json'];

/** 200 with a JSON object body; not cacheable unless the endpoint says otherwise. */
export const ok = (body: unknown, headers: Record<string, string> = {}): Reply => ({
  statusCode: 200,
  body,
  headers,
});
/** 201 with a JSON body and its `Location`. */
export const created = (body: unknown, location: string): Reply => ({
  statusCode: 201,
  body,
  headers: { Location: location },
});
/** 204, no body. */
export const noContent = (): Reply => ({ statusCode: 204 });

const problemResponse = (error: AppError, requestId: string): HttpResult => ({
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
  }),
});

/**
 * Reads the bearer token from the `Authorization` header only, and verifies it. The session
 * behind it is checked by the operation itself, atomically with what it does.
 */
async function authenticate(event: HttpEvent, tokens: TokenService): Promise<Caller> {
  const header = event.headers?.authorization;
  // No bearer token at all (absent, or another scheme such as Basic): a bare challenge (RFC 6750 §3.1).
  if (header === undefined || !/^bearer(\s|$)/i.test(header.trim())) throw new UnauthorizedError(false);
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(header.trim());
  const claims = match?.[1] ? await tokens.verifyAccessToken(match[1]) : null;
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
  return new InternalError();
}

interface EndpointOptions<S extends z.ZodMiniType | undefined, A extends boolean> {
  /** Require a valid bearer token (checked before the body is looked at). */
  auth: A;
  /** The strict schema of the JSON body; omit for endpoints without a body. */
  body?: S;
  /** Accept `application/merge-patch+json` too (PATCH). */
  mergePatch?: boolean;
  /** Extra headers on success, e.g. a cache lifetime for public documents. Default: `Cache-Control: no-store`. */
  headers?: Record<string, string>;
}

/**
 * Builds one Lambda handler with the shared Middy stack: request-id logging, CORS, security
 * headers, bearer authentication, body checks and the problem+json error contract (registered
 * last, so it runs first on error and the CORS/security middlewares still decorate its response).
 */
export function endpoint<S extends z.ZodMiniType | undefined = undefined, A extends boolean = false>(
  deps: HttpDeps,
  options: EndpointOptions<S, A>,
  handle: (input: Input<S extends z.ZodMiniType ? z.infer<S> : undefined, A>) => Promise<Reply>,
): HttpHandler {
  const { tokens, logger } = deps;
  const accepted = options.mergePatch ? PATCH_TYPES : JSON_TYPES;
  const core = async (event: HttpEvent): Promise<HttpResult> => {
    const caller = options.auth ? await authenticate(event, tokens) : undefined;
    let body: unknown;
    try {
      body = options.body ? parseBody(options.body, readJsonBody(event, accepted)) : undefined;
    } catch (error) {
      // API.md: a revoked token is refused before the body is looked at. The operation checks the
      // session atomically on success; on a bad body we check it here first, so the happy path
      // keeps its single round trip and a revoked token never learns about its body.
      if (caller && !(await deps.sessionAlive(caller))) throw new UnauthorizedError(true);
      throw error;
    }
    const reply = await handle({
      body,
      caller,
      client: {
        ip: event.requestContext?.http?.sourceIp ?? 'unknown',
        userAgent: event.headers?.['user-agent'] ?? '',
      },
      pathParameters: event.pathParameters ?? {},
      path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    } as Input<S extends z.ZodMiniType ? z.infer<S> : undefined, A>);
    return {
      statusCode: reply.statusCode,
      headers: {
        'Cache-Control': 'no-store',
        ...(reply.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...options.headers,
        ...reply.headers,
      },
      body: reply.body === undefined ? '' : JSON.stringify(reply.body),
    };
  };
  return (
    middy<HttpEvent, HttpResult, Error, Context>(core)
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(
        httpCors({
          origins: deps.corsAllowedOrigins,
          exposeHeaders: 'Location, Retry-After, WWW-Authenticate',
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
