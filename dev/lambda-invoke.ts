// Invokes a Lambda function synchronously (Invoke API, RequestResponse) with SigV4 from aws4fetch,
// the same request in AWS and against serverless offline's local Lambda API (`lambdaPort`), which
// accepts any signature. Kept apart, small, so it can join the project's shared SigV4 code.
import { AwsClient } from 'aws4fetch';

/** AWS credentials as the operator's shell holds them (AWS_ACCESS_KEY_ID, …). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface InvokeTarget {
  /** `https://lambda.<region>.amazonaws.com`, or the local twin's `http://127.0.0.1:<lambdaPort>`. */
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
}

/** The credentials of an environment, or null when it has none. */
export function credentialsFrom(env: Record<string, string | undefined>): AwsCredentials | null {
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return null;
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

const client = (target: InvokeTarget, service: string) =>
  // service and region always given (on a non-AWS host aws4fetch cannot guess them); one retry only.
  new AwsClient({ ...target.credentials, service, region: target.region, retries: 1 });

/** Invokes `functionName` with `payload` and returns its JSON answer; a function error throws. */
export async function invokeFunction(
  target: InvokeTarget,
  functionName: string,
  payload: unknown,
): Promise<unknown> {
  const url = `${target.endpoint.replace(/\/+$/, '')}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
  const response = await client(target, 'lambda').fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`Lambda Invoke ${functionName}: HTTP ${response.status} ${text.slice(0, 300)}`);
  const functionError = response.headers.get('x-amz-function-error');
  if (functionError) throw new Error(`${functionName} failed (${functionError}): ${text.slice(0, 300)}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/** The ARN of the caller (STS GetCallerIdentity): who the operator is, as IAM knows them. */
export async function callerIdentity(target: Omit<InvokeTarget, 'endpoint'>): Promise<string> {
  const response = await client({ ...target, endpoint: '' }, 'sts').fetch(
    `https://sts.${target.region}.amazonaws.com/`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      signal: AbortSignal.timeout(10_000),
    },
  );
  const text = await response.text();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!response.ok || !arn) throw new Error(`STS GetCallerIdentity: HTTP ${response.status}`);
  return arn;
}
