import { AwsError, type AwsService, createAwsService, type Invocation, invokeFunction } from '../aws';

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
 * Invokes a Lambda function synchronously (`RequestResponse`) with `payload` as its JSON event and
 * answers its result, as text: lib/aws.ts's `invokeFunction`, signed with the credentials the
 * Lambda runtime puts in the environment; no retries (the caller has a budget), `signal` aborts.
 * `functionName` is a name or an ARN (whose region wins: the request is signed for, and sent to,
 * that region's endpoint).
 */
export function createLambdaInvoker(env: AwsEnvironment) {
  const services = new Map<string, AwsService>();
  const serviceIn = (region: string): AwsService => {
    let lambda = services.get(region);
    if (!lambda) {
      lambda = createAwsService({ service: 'lambda', retries: 0, env: { ...env, AWS_REGION: region } });
      services.set(region, lambda);
    }
    return lambda;
  };
  return async (functionName: string, payload: unknown, signal: AbortSignal): Promise<string> => {
    const region = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):/.exec(functionName)?.[1] ?? env.AWS_REGION;
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY || !region)
      throw new LambdaInvokeError('no_credentials');
    let invocation: Invocation;
    try {
      invocation = await invokeFunction(serviceIn(region), functionName, payload, {
        invocationType: 'RequestResponse',
        signal,
      });
    } catch (error) {
      // Lambda refused the call (throttled, not found, denied): its status; anything else as is.
      if (error instanceof AwsError) throw new LambdaInvokeError('status', error.status);
      throw error;
    }
    // The function threw (or timed out): Lambda answers 200 with this header and the error as body.
    if (invocation.functionError !== null) throw new LambdaInvokeError('function_error');
    return new TextDecoder().decode(invocation.payload);
  };
}
