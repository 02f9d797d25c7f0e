import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Offline, startOffline } from '../../dev/offline';
import { newSigningKey } from './app';

/**
 * serverless offline on the run's build (made once by global-setup) and the run's datastore, under
 * a key prefix of its own (`<name>:<random>:`, returned as `prefix`), with a fresh signing key.
 * `env` adds or overrides any API.md variable.
 */
export async function startTestApi(
  name: string,
  env: Record<string, string> = {},
): Promise<Offline & { prefix: string }> {
  const prefix = `${name}:${randomBytes(6).toString('hex')}:`;
  const api = await startOffline({
    root: join(__dirname, '../..'),
    env: {
      UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL as string,
      UPSTASH_REDIS_REST_TOKEN: process.env.UPSTASH_REDIS_REST_TOKEN as string,
      JWT_PRIVATE_KEY: newSigningKey(),
      KEY_PREFIX: prefix,
      LOG_LEVEL: 'ERROR',
      ...env,
    },
  });
  return Object.assign(api, { prefix });
}
