import type { Config } from '../../lib/config';
import type { MailJob, MailQueue } from '../../lib/mail-queue';
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
