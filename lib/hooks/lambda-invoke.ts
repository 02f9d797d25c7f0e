import { AwsClient } from 'aws4fetch';

/** The Lambda runtime's variables this module reads: credentials, region, an endpoint override. */
export interface AwsEnvironment {
  AWS_REGION?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
  /** Another Lambda endpoint (locally: serverless offline's), as the AWS SDKs read it. */
  AWS_ENDPOINT_URL_LAMBDA?: string;
}

/** A synchronous invocation that did not return the function's result. */
export class LambdaInvokeError extends Error {
  override name = 'LambdaInvokeError';
  constructor(
    readonly reason: 'no_credentials' | 'status' | 'function_error',
    readonly status?: number,
  ) {
    super(`Lambda invoke failed: ${reason}${status === undefined ? '' : ` (${status})`}`);
  }
}

/**
 * Invokes a Lambda function synchronously (`RequestResponse`) and answers its result, as text.
 * SigV4-signed by aws4fetch over fetch (8 KiB against the SDK's ≈250 KiB), with the credentials
 * the Lambda runtime puts in the environment; no retries (the caller has a budget), `signal` aborts.
 * `functionName` is a name or an ARN (whose region wins).
 */
export function createLambdaInvoker(env: AwsEnvironment) {
  return async (functionName: string, payload: string, signal: AbortSignal): Promise<string> => {
    const region = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):/.exec(functionName)?.[1] ?? env.AWS_REGION;
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY || !region)
      throw new LambdaInvokeError('no_credentials');
    const client = new AwsClient({
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      // Always named: on a non-AWS host (an endpoint override) the scope would lose its service.
      service: 'lambda',
      region,
      retries: 0,
    });
    const endpoint = (env.AWS_ENDPOINT_URL_LAMBDA || `https://lambda.${region}.amazonaws.com`).replace(
      /\/+$/,
      '',
    );
    const response = await client.fetch(
      `${endpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
        body: payload,
        signal,
      },
    );
    const text = await response.text();
    if (response.status !== 200) throw new LambdaInvokeError('status', response.status);
    // The function threw (or timed out): Lambda answers 200 with this header and the error as body.
    if (response.headers.has('x-amz-function-error')) throw new LambdaInvokeError('function_error');
    return text;
  };
}
