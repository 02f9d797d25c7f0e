// Invokes a Lambda function synchronously (Invoke API, RequestResponse) with the functions' own
// SigV4 client (lib/aws.ts), the same request in AWS and against serverless offline's local Lambda
// API (`lambdaPort`), which accepts any signature.
import { type AwsCredentials, awsErrorOf, createAwsService, invokeFunction as invoke } from '../lib/aws';

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

/** One service of `target`, signed with the operator's credentials; one retry only. */
const service = (target: InvokeTarget, name: string) =>
  createAwsService({
    service: name,
    retries: 1,
    env: {
      AWS_REGION: target.region,
      AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: target.credentials.sessionToken,
      ...(target.endpoint ? { AWS_ENDPOINT_URL: target.endpoint } : {}),
    },
  });

/** Invokes `functionName` with `payload` and returns its JSON answer; a function error throws. */
export async function invokeFunction(
  target: InvokeTarget,
  functionName: string,
  payload: unknown,
): Promise<unknown> {
  const answer = await invoke(service(target, 'lambda'), functionName, payload, {
    invocationType: 'RequestResponse',
    signal: AbortSignal.timeout(30_000),
  }).catch((error: Error) => {
    throw new Error(`Lambda Invoke ${functionName}: ${error.name}: ${error.message.slice(0, 300)}`);
  });
  const text = Buffer.from(answer.payload).toString('utf8');
  if (answer.functionError)
    throw new Error(`${functionName} failed (${answer.functionError}): ${text.slice(0, 300)}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/** The ARN of the caller (STS GetCallerIdentity): who the operator is, as IAM knows them. */
export async function callerIdentity(target: Omit<InvokeTarget, 'endpoint'>): Promise<string> {
  const response = await service({ ...target, endpoint: '' }, 'sts').fetch('/', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Action=GetCallerIdentity&Version=2011-06-15',
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw await awsErrorOf(response);
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(await response.text())?.[1];
  if (!arn) throw new Error('STS GetCallerIdentity: no Arn in the answer');
  return arn;
}
