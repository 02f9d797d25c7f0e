import { createHash, createHmac } from 'node:crypto';

/**
 * AWS APIs without the AWS SDK: requests signed with Signature Version 4 (`signV4`, below, ≈1 KiB
 * on node:crypto) and sent with `fetch`, using the function's own credentials from the environment
 * Lambda sets (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`).
 * The SDK clients cost 140–250 ms to `require` at a cold start, for one call each
 * (docs/performance.md); aws4fetch, which replaced them first, weighed 7.2 KiB in every bundle
 * (docs/decisions.md, "The cold path"). The signer is checked against the SDK's own
 * (@smithy/signature-v4) in tests/unit/aws-signer.test.ts, and every request the tests' loopback
 * stand-ins receive is re-signed with it (tests/support/aws.ts). `AWS_ENDPOINT_URL_<SERVICE>`
 * (then `AWS_ENDPOINT_URL`) points a service elsewhere, as it does for the SDK: the tests'
 * loopback stand-ins, `npm start`'s Lambda endpoint.
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
  /** The signing name (`ssm`, `lambda`): always given, never guessed from the host (it is wrong off AWS). */
  service: string;
  /** Retries on 5xx and 429 answers only, after 50·2^n ms (jittered). */
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

/** The credentials a request is signed with (a role's temporary ones carry a session token). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** RFC 3986 encoding, as SigV4 wants it: `encodeURIComponent` plus `!'()*`. */
const rfc3986 = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const sha256Hex = (data: string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * Signs one request with Signature Version 4 (header form, no payload hash header: every service
 * but S3) and answers its headers to send: the given ones plus `x-amz-date`,
 * `x-amz-security-token` when there is a session token, and `authorization`. Signed: `host` and
 * every given header.
 */
export function signV4(
  request: { method: string; url: URL; headers: Record<string, string>; body: string },
  signing: { credentials: AwsCredentials; region: string; service: string; date?: Date },
): Record<string, string> {
  const amzDate = (signing.date ?? new Date()).toISOString().replace(/[:-]|\.\d{3}/g, '');
  const { credentials } = signing;
  const sent: Record<string, string> = { ...request.headers, 'x-amz-date': amzDate };
  if (credentials.sessionToken) sent['x-amz-security-token'] = credentials.sessionToken;
  const canonical: Record<string, string> = { host: request.url.host };
  for (const [name, value] of Object.entries(sent))
    canonical[name.toLowerCase()] = value.trim().replace(/\s+/g, ' ');
  const names = Object.keys(canonical).sort();
  // Sorted by encoded name, then value: joined with NUL, below every encoded character, so that
  // `a` sorts before `a%20b` (with `=` it would not), then given its `=`.
  const query = [...request.url.searchParams]
    .map(([k, v]) => `${rfc3986(k)}\0${rfc3986(v)}`)
    .sort()
    .join('&')
    .replaceAll('\0', '=');
  // The path as sent (already encoded once), each segment encoded again.
  const path = request.url.pathname.split('/').map(rfc3986).join('/');
  const scope = `${amzDate.slice(0, 8)}/${signing.region}/${signing.service}/aws4_request`;
  const canonicalRequest = [
    request.method,
    path,
    query,
    names.map((name) => `${name}:${canonical[name]}\n`).join(''),
    names.join(';'),
    sha256Hex(request.body),
  ].join('\n');
  let key = hmac(`AWS4${credentials.secretAccessKey}`, amzDate.slice(0, 8));
  for (const part of [signing.region, signing.service, 'aws4_request']) key = hmac(key, part);
  const signature = hmac(
    key,
    `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`,
  ).toString('hex');
  sent.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return sent;
}

/** Builds the client of one service. */
export function createAwsService(options: AwsServiceOptions): AwsService {
  const env = options.env ?? process.env;
  let signing: { credentials: AwsCredentials; region: string; endpoint: string } | undefined;
  const ready = () => {
    signing ??= {
      credentials: {
        accessKeyId: requiredEnv(env, 'AWS_ACCESS_KEY_ID'),
        secretAccessKey: requiredEnv(env, 'AWS_SECRET_ACCESS_KEY'),
        // Lambda's credentials are a role's temporary ones: the token is part of the signature.
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      },
      region: requiredEnv(env, 'AWS_REGION'),
      endpoint: awsEndpoint(options.service, env),
    };
    return signing;
  };
  return {
    async fetch(path, request) {
      const { credentials, region, endpoint } = ready();
      const url = new URL(`${endpoint}${path}`);
      const method = request.method ?? 'POST';
      const body = request.body ?? '';
      for (let attempt = 0; ; attempt++) {
        // Signed again each time: the signature holds its date.
        const headers = signV4(
          { method, url, headers: request.headers ?? {}, body },
          { credentials, region, service: options.service },
        );
        const response = await fetch(url, {
          method,
          headers,
          ...(request.body === undefined ? {} : { body }),
          ...(request.signal ? { signal: request.signal } : {}),
        });
        if (attempt >= options.retries || (response.status < 500 && response.status !== 429)) return response;
        await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
      }
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
