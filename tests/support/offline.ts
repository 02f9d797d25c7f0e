import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Mailbox, startMailbox } from '../../dev/mailbox';
import { type Offline, startOffline } from '../../dev/offline';
import { newSigningKey } from './app';

/**
 * serverless offline on the run's build (made once by global-setup) and the run's datastore, under
 * a key prefix of its own (`<name>:<random>:`, returned as `prefix`), with a fresh signing key.
 * `env` adds or overrides any variable of README "Configuration". Mail goes to a SES emulator of its own (`mailbox`).
 */
export async function startTestApi(
  name: string,
  env: Record<string, string> = {},
  /** The API's port, when a test must know its URL before it starts (a provider's callback URL). */
  port?: number,
): Promise<Offline & { prefix: string; mailbox: Mailbox }> {
  const prefix = `${name}:${randomBytes(6).toString('hex')}:`;
  const mailbox = await startMailbox();
  const api = await startOffline({
    root: join(__dirname, '../..'),
    ...(port ? { port } : {}),
    mailboxUrl: mailbox.url,
    env: {
      UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL as string,
      UPSTASH_REDIS_REST_TOKEN: process.env.UPSTASH_REDIS_REST_TOKEN as string,
      JWT_PRIVATE_KEY: newSigningKey(),
      TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      KEY_PREFIX: prefix,
      LOG_LEVEL: 'ERROR',
      ...env,
    },
  });
  const stop = api.stop;
  return Object.assign(api, {
    prefix,
    mailbox,
    stop: async () => {
      await stop();
      await mailbox.close();
    },
  });
}
