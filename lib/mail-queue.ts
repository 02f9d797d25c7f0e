import type { Notice } from './notices/notices';

/**
 * What a request asks the mail function (functions/send-mail.ts) to do. The request never sends
 * mail itself, never waits for it, and hands over the same kind of job whether or not the mail
 * will go out (an unknown address, a per-address limit): the mail function decides, so neither
 * the answer nor its timing tells. No token travels here: the mail function issues it.
 */
export type MailJob =
  | { kind: 'verify-email'; userId: string }
  | { kind: 'password-reset'; email: string }
  | { kind: 'email-changed'; userId: string; oldEmail: string; newEmail: string }
  // Security notices (lib/notices/): the owner is looked up by the mail function.
  | { kind: 'security-notice'; userId: string; notice: Exclude<Notice, 'new-device'>; detail?: string }
  | { kind: 'signed-in'; userId: string; ip: string; userAgent: string; notify: boolean };

/** The longest a request waits for Lambda to take a mail job. */
export const QUEUE_TIMEOUT_MS = 1000;

/** Hands a job to the mail function; resolves once it is queued (not sent). */
export interface MailQueue {
  enqueue(job: MailJob): Promise<void>;
}

/**
 * An asynchronous Lambda invocation of the mail function (`InvocationType: 'Event'`): Lambda
 * queues it, answers 202 at once, retries a failed run twice and then hands the event to the
 * function's on-failure destination (serverless.yml). The SDK is the Lambda runtime's, loaded on
 * first use and never bundled; locally `AWS_ENDPOINT_URL_LAMBDA` points it at serverless offline.
 */
export function createLambdaMailQueue(functionName: string): MailQueue {
  let client: import('@aws-sdk/client-lambda').LambdaClient | undefined;
  return {
    async enqueue(job) {
      const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
      client ??= new LambdaClient({ maxAttempts: 2 });
      await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(job)),
        }),
        // Lambda queues an event in milliseconds; a request never waits longer than this for it.
        { abortSignal: AbortSignal.timeout(QUEUE_TIMEOUT_MS) },
      );
    },
  };
}
