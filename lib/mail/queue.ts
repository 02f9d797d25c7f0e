import { createAwsService, invokeFunction } from '../aws';
import type { Notice } from '../notices/notices';

/**
 * What a request asks the mail function (functions/send-mail.ts) to do. The request never sends
 * mail itself, never waits for it, and hands over the same kind of job whether or not the mail
 * will go out (an unknown address, a per-address limit): the mail function decides, so neither
 * the answer nor its timing tells. No token travels here: the mail function issues it.
 */
export type MailJob =
  | { kind: 'verify-email'; userId: string }
  | { kind: 'password-reset'; email: string }
  /** `revertible`: the old address is still the credential, and its mail carries a revert link. */
  | { kind: 'email-changed'; userId: string; oldEmail: string; newEmail: string; revertible?: boolean }
  | { kind: 'email-sign-in'; email: string }
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
 * An asynchronous Lambda invocation of the mail function (`InvocationType: Event`): Lambda
 * queues it, answers 202 at once, retries a failed run twice and then hands the event to the
 * function's on-failure destination (serverless.yml). Signed by lib/aws.ts with the function's own
 * credentials (no AWS SDK on the request path); one retry on a throttle or a 5xx, all within
 * `QUEUE_TIMEOUT_MS`. Locally `AWS_ENDPOINT_URL_LAMBDA` points it at `npm start`'s event queue.
 */
export function createLambdaMailQueue(
  functionName: string,
  env: Record<string, string | undefined> = process.env,
): MailQueue {
  const lambda = createAwsService({ service: 'lambda', retries: 1, env });
  return {
    async enqueue(job) {
      // Lambda queues an event in milliseconds; a request never waits longer than this for it.
      await invokeFunction(lambda, functionName, job, {
        invocationType: 'Event',
        signal: AbortSignal.timeout(QUEUE_TIMEOUT_MS),
      });
    },
  };
}
