// API Gateway HTTP API events and Lambda contexts as Lambda hands them to a handler: what the
// tests (tests/support/app.ts `invoke`) and the bench (bench/) send the real handlers.
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** One request, as a test or the bench describes it. */
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
