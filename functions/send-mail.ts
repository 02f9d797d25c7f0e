import type { MailJob } from '../lib/mail/queue';
import { lambdaWorker, type MailServices, mailServices } from '../lib/services';

/**
 * The mail function: invoked asynchronously by the request functions with a `MailJob`, never by
 * API Gateway. It issues the link, renders and sends the mail through SES; a failure throws, so
 * Lambda retries it twice and then keeps the event at the on-failure destination (serverless.yml).
 */
export const createHandler =
  ({ mail }: MailServices) =>
  async (job: MailJob): Promise<void> =>
    mail.deliver(job);

export const handler = lambdaWorker(mailServices, createHandler);
