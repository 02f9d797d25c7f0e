import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type { RedisConfigNodejs } from '@upstash/redis';
import { Redis } from '@upstash/redis';

/** Where the run's datastore listens (set by global-setup), for raw `fetch` checks. */
export function restEndpoint(): { url: string; token: string } {
  const url = process.env.UPSTASH_REDIS_REST_URL;
  const token = process.env.UPSTASH_REDIS_REST_TOKEN;
  if (!url || !token)
    throw new Error('UPSTASH_REDIS_REST_URL/TOKEN are unset: is jest global-setup configured?');
  return { url, token };
}

/** A real @upstash/redis client for the run's datastore, without retries or telemetry. */
export function restClient(opts: Partial<RedisConfigNodejs> = {}): Redis {
  const { url, token } = restEndpoint();
  return new Redis({ url, token, enableTelemetry: false, retry: false, ...opts });
}

/**
 * A key prefix no other test file or run shares (`name:<random>:`), so files can run in
 * parallel against one datastore, and against a long-lived real Redis.
 */
export function uniquePrefix(name: string): string {
  return `test:${basename(name).replace(/\.test\.ts$/, '')}:${randomBytes(6).toString('hex')}:`;
}
