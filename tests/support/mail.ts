import { type Mailbox, startMailbox } from '../../dev/mailbox';
import type { Config } from '../../lib/config';
import type { MailJob, MailQueue } from '../../lib/mail/queue';
import { createMailServices, type ServiceOverrides } from '../../lib/services';

/** A mail queue that only records the jobs handed to it: what a request asked for. */
export function recordingMailQueue(): MailQueue & { jobs: MailJob[] } {
  const jobs: MailJob[] = [];
  return {
    jobs,
    async enqueue(job) {
      jobs.push(job);
    },
  };
}

/**
 * A mail queue that runs each job through the real mail function's service, in this process,
 * against the same datastore and prefix (`config`): links issued, mail sent through the SES v2
 * client to wherever `AWS_ENDPOINT_URL_SESV2` points (the emulator, dev/mailbox.ts).
 */
export function deliveringMailQueue(config: Config, overrides: ServiceOverrides = {}): MailQueue {
  const { mail } = createMailServices(config, overrides);
  return { enqueue: (job) => mail.deliver(job) };
}

/**
 * For the tests of one file: a SES v2 emulator (dev/mailbox.ts) started before them and stopped
 * after, with the AWS SDK's environment pointing the SES client at it (any credentials do).
 * Returns a getter: the mailbox exists only once `beforeAll` has run.
 */
export function useMailbox(): () => Mailbox {
  let mailbox: Mailbox | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    mailbox = await startMailbox();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SESV2: mailbox.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
    });
  });
  afterAll(async () => {
    process.env = saved;
    await mailbox?.close();
  });
  return () => {
    if (!mailbox) throw new Error('useMailbox: the mailbox starts in beforeAll');
    return mailbox;
  };
}

/**
 * The token of the newest mailed link to `page` (`verify-email`, `reset-password`) for `address`,
 * read from the mailbox as its owner would; waits up to `timeoutMs` for the mail to arrive.
 */
export async function mailedLinkToken(
  mailbox: Mailbox,
  address: string,
  page: string,
  timeoutMs = 15_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = (await mailbox.mails())
      .filter((m) => m.destination.to.includes(address) && m.body.text?.includes(`/${page}#token=`))
      .pop();
    const token = new RegExp(`/${page}#token=([A-Za-z0-9_%.-]+)`).exec(mail?.body.text ?? '')?.[1];
    if (token) return decodeURIComponent(token);
    if (Date.now() > deadline) throw new Error(`no ${page} mail reached ${address}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
