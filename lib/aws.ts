import { AwsClient } from 'aws4fetch';

/**
 * AWS APIs without the AWS SDK: requests signed with Signature Version 4 by `aws4fetch` (8 KiB,
 * WebCrypto) and sent with `fetch`, using the function's own credentials from the environment
 * Lambda sets (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`).
 * The SDK clients cost 140–250 ms to `require` at a cold start, for one call each
 * (docs/performance.md). `AWS_ENDPOINT_URL_<SERVICE>` (then `AWS_ENDPOINT_URL`) points a service
 * elsewhere, as it does for the SDK: the tests' loopback stand-ins, `npm start`'s Lambda endpoint.
 */

/** A refusal from an AWS API: `name` is AWS's error type (`AccessDeniedException`, `TooManyRequestsException`, …). */
export class AwsError extends Error {
  readonly status: number;
  constructor(type: string, status: number, message: string) {
    super(message);
    this.name = type;
    this.status = status;
  }
}

/** How one service is called: where, signed for which region, retried how often. */
export interface AwsServiceOptions {
  /** The signing name (`ssm`, `lambda`): always given, never guessed from the host (aws4fetch guesses wrong off AWS). */
  service: string;
  /** Retries on 5xx and 429 answers only (aws4fetch's default is 10, ≈51 s). */
  retries: number;
  /** The environment to read credentials, region and endpoint overrides from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/** A signed request: a path under the service's endpoint, its headers and body, and an abort signal. */
export interface AwsRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** One AWS service, ready to call. Credentials are read on the first call, not at import. */
export interface AwsService {
  /** Sends a signed request to `path` (e.g. `/`) and answers the response, whatever its status. */
  fetch(path: string, request: AwsRequest): Promise<Response>;
}

/** `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else the service's regional endpoint. */
export function awsEndpoint(service: string, env: Record<string, string | undefined>): string {
  const override =
    env[`AWS_ENDPOINT_URL_${service.toUpperCase().replaceAll('-', '_')}`] ?? env.AWS_ENDPOINT_URL;
  if (override) return override.replace(/\/+$/, '');
  return `https://${service}.${requiredEnv(env, 'AWS_REGION')}.amazonaws.com`;
}

function requiredEnv(env: Record<string, string | undefined>, name: string): string {
  const value = env[name] ?? (name === 'AWS_REGION' ? env.AWS_DEFAULT_REGION : undefined);
  if (!value) throw new AwsError('MissingCredentials', 0, `${name} is not set`);
  return value;
}

/** Builds the client of one service. */
export function createAwsService(options: AwsServiceOptions): AwsService {
  const env = options.env ?? process.env;
  let signer: { client: AwsClient; endpoint: string } | undefined;
  const ready = () => {
    signer ??= {
      client: new AwsClient({
        accessKeyId: requiredEnv(env, 'AWS_ACCESS_KEY_ID'),
        secretAccessKey: requiredEnv(env, 'AWS_SECRET_ACCESS_KEY'),
        // Lambda's credentials are a role's temporary ones: the token is part of the signature.
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        service: options.service,
        region: requiredEnv(env, 'AWS_REGION'),
        retries: options.retries,
      }),
      endpoint: awsEndpoint(options.service, env),
    };
    return signer;
  };
  return {
    async fetch(path, request) {
      const { client, endpoint } = ready();
      return client.fetch(`${endpoint}${path}`, {
        method: request.method ?? 'POST',
        headers: request.headers ?? {},
        ...(request.body === undefined ? {} : { body: request.body }),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    },
  };
}

/**
 * The error an AWS answer carries: its type from `x-amzn-ErrorType` or the JSON body's `__type`
 * (`com.amazon…#AccessDeniedException` → `AccessDeniedException`), and its message. The body is
 * read (and so released) here.
 */
export async function awsErrorOf(response: Response): Promise<AwsError> {
  const text = await response.text().catch(() => '');
  let body: { __type?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const raw =
    response.headers.get('x-amzn-errortype') ?? (typeof body.__type === 'string' ? body.__type : '');
  const type = raw.split(':')[0]?.split('#').pop() || `Http${response.status}`;
  const message =
    typeof body.message === 'string' ? body.message : typeof body.Message === 'string' ? body.Message : '';
  return new AwsError(type, response.status, message || `${type} (HTTP ${response.status})`);
}

/** What a synchronous invocation answered: the function's reply and whether it failed (`X-Amz-Function-Error`). */
export interface Invocation {
  status: number;
  functionError: string | null;
  payload: Uint8Array;
}

/**
 * Lambda `Invoke` (`POST /2015-03-31/functions/<name>/invocations`). `Event`: Lambda queues the
 * payload and answers 202 at once; `RequestResponse`: it runs the function and answers its reply.
 * Any other answer than 202 / 200 throws an `AwsError` (throttled: `TooManyRequestsException`).
 */
export async function invokeFunction(
  lambda: AwsService,
  functionName: string,
  payload: unknown,
  options: { invocationType: 'Event' | 'RequestResponse'; signal?: AbortSignal },
): Promise<Invocation> {
  const response = await lambda.fetch(
    `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    {
      headers: { 'Content-Type': 'application/json', 'X-Amz-Invocation-Type': options.invocationType },
      body: JSON.stringify(payload),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  const expected = options.invocationType === 'Event' ? 202 : 200;
  if (response.status !== expected) throw await awsErrorOf(response);
  return {
    status: response.status,
    functionError: response.headers.get('x-amz-function-error'),
    payload: new Uint8Array(await response.arrayBuffer()),
  };
}
