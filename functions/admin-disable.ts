import type { AdminResult } from '../lib/admin/commands';
import { type AdminServices, adminServices } from '../lib/admin/services';
import { lambdaWorker } from '../lib/services';

/**
 * `npm run admin -- disable <email|userId>`: an operator's command. No HTTP route (serverless.yml):
 * only an IAM principal allowed lambda:InvokeFunction on it can run it. Answers one JSON object.
 */
export const createHandler =
  ({ admin }: AdminServices) =>
  async (request: unknown): Promise<AdminResult> =>
    admin.run('disable', request);

export const handler = lambdaWorker(adminServices, createHandler);
