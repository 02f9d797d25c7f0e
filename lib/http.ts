import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { ClientInfo } from './accounts';
import {
  AppError,
  InternalError,
  MalformedJsonError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors';
import type { TokenService } from './tokens';
import type { Caller } from './users';
import { parseBody } from './validation';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** Largest accepted request body (API.md). API Gateway itself would take 10 MB. */
export const MAX_BODY_BYTES = 16 * 1024;

/** What the shared stack needs from the composition root. */
export interface HttpDeps {
  tokens: TokenService;
  logger: Logger;
  corsAllowedOrigins: string[];
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
  if (header === undefined || header === '') throw new UnauthorizedError(false);
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(header.trim());
  const claims = match?.[1] ? await tokens.verifyAccessToken(match[1]) : null;
  if (!claims) throw new UnauthorizedError(true);
  return claims;
}

/** Decodes and checks the wire format of a JSON body: type, size, UTF-8, syntax. Returns the parsed value. */
function readJsonBody(event: HttpEvent, accepted: string[]): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const bytes = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const contentType = (event.headers?.['content-type'] ?? '').toLowerCase();
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  const charset = parameters
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (!accepted.includes(mediaType) || (charset !== undefined && charset !== 'utf-8')) {
    throw new UnsupportedMediaTypeError(accepted);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MalformedJsonError();
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MalformedJsonError();
  }
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
    const body = options.body ? parseBody(options.body, readJsonBody(event, accepted)) : undefined;
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
  return middy<HttpEvent, HttpResult, Error, Context>(core)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(
      httpCors({
        origins: deps.corsAllowedOrigins,
        exposeHeaders: 'Location, Retry-After, WWW-Authenticate',
        disableBeforePreflightResponse: true,
      }),
    )
    .use(httpSecurityHeaders({ crossOriginResourcePolicy: { policy: 'cross-origin' } }))
    .use({
      onError: async (request) => {
        const error = toAppError(request.error, logger);
        request.response = problemResponse(error, request.context.awsRequestId);
      },
    }) as unknown as HttpHandler;
}
