import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { parseConfig } from '../../lib/config';
import type { HttpHandler, HttpResult } from '../../lib/http';
import { createServices, type ServiceOverrides, type Services } from '../../lib/services';
import { recordingMailQueue } from './mail';
import { newPrivateJwk } from './signing-keys';

/** A fresh private JWK of the run's algorithm (JWT_ALGORITHM, default EdDSA), as `JWT_PRIVATE_KEY` expects it. */
export const newSigningKey = (): string => newPrivateJwk();

/** The test environment's configuration plus `env` overrides, under a key prefix of its own. */
export const testConfig = (env: Record<string, string> = {}) =>
  parseConfig({ ...process.env, KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`, ...env });

/**
 * Services built exactly as in production, from the test environment plus `env` overrides,
 * under a key prefix of their own. Mail jobs are recorded unless `overrides.mailQueue` says otherwise.
 */
export function testServices(env: Record<string, string> = {}, overrides: ServiceOverrides = {}): Services {
  return createServices(testConfig(env), { mailQueue: recordingMailQueue(), ...overrides });
}

export interface EventInput {
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
  ip?: string;
  pathParameters?: Record<string, string>;
  /** The raw query string (without `?`). */
  query?: string;
}

/** An API Gateway HTTP API (payload 2.0) event, as Lambda receives it. */
export function httpEvent(input: EventInput): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { 'user-agent': 'jest', ...input.headers };
  if (input.body !== undefined && headers['content-type'] === undefined)
    headers['content-type'] = 'application/json';
  if (input.token !== undefined) headers.authorization = `Bearer ${input.token}`;
  return {
    version: '2.0',
    routeKey: `${input.method} ${input.path}`,
    rawPath: input.path,
    rawQueryString: input.query ?? '',
    headers,
    pathParameters: input.pathParameters,
    isBase64Encoded: false,
    body: input.rawBody ?? (input.body === undefined ? undefined : JSON.stringify(input.body)),
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: input.method,
        path: input.path,
        protocol: 'HTTP/1.1',
        sourceIp: input.ip ?? '198.51.100.7',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomBytes(8).toString('hex'),
      routeKey: `${input.method} ${input.path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}

/** A Lambda context with a fresh request id. */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:test',
    memoryLimitInMB: '1024',
    awsRequestId: randomBytes(16).toString('hex'),
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface Response {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes and assert on them
  body: any;
}

/** Invokes a handler with an event and returns status, headers and the parsed JSON body. */
export async function invoke(handler: HttpHandler, input: EventInput): Promise<Response> {
  const result: HttpResult = await handler(httpEvent(input), lambdaContext());
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const text = result.body ?? '';
  return { status: result.statusCode ?? 200, headers, body: text === '' ? undefined : JSON.parse(text) };
}
