// lib/fixed-window.ts against the run's datastore, and against @upstash/ratelimit's `fixedWindow`,
// which the service used before it: the same keys and the same counting, so limits counted by a
// deployment of either carry on in the other.
import { Ratelimit } from '@upstash/ratelimit';
import { createDatastore } from '../../lib/datastore';
import { createFixedWindow } from '../../lib/fixed-window';
import { restClient, restEndpoint, uniquePrefix } from '../support/datastore';

const datastore = createDatastore({ ...restEndpoint(), timeoutMs: 2000 });
const redis = restClient({ automaticDeserialization: false });
const prefix = `${uniquePrefix(__filename)}rate-limit:test`;
const WINDOW_MS = 60_000;
/** The middle of a window, in the past: a test never straddles a window edge. */
const AT = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 10 * WINDOW_MS + WINDOW_MS / 2;

describe('createFixedWindow', () => {
  test('admits `limit` requests per window, then refuses until the window ends', async () => {
    // Prepare
    const count = createFixedWindow(datastore, prefix, { limit: 2, windowSeconds: 60 });
    const windowEnd = (Math.floor(AT / WINDOW_MS) + 1) * WINDOW_MS;

    // Act
    const results = [await count('a', AT), await count('a', AT + 1), await count('a', AT + 2)];
    const otherId = await count('b', AT);
    const nextWindow = await count('a', windowEnd);

    // Assess
    expect(results).toEqual([
      { success: true, reset: windowEnd },
      { success: true, reset: windowEnd },
      { success: false, reset: windowEnd },
    ]);
    expect(otherId).toEqual({ success: true, reset: windowEnd });
    expect(nextWindow).toEqual({ success: true, reset: windowEnd + WINDOW_MS });
  });

  test('keys a count <prefix>:<id>:<window number>, expiring with its window', async () => {
    // Act
    await createFixedWindow(datastore, prefix, { limit: 5, windowSeconds: 60 })('c', AT);

    // Assess
    const key = `${prefix}:c:${Math.floor(AT / WINDOW_MS)}`;
    expect(await redis.get(key)).toBe('1');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(WINDOW_MS);
  });

  test("counts on the same keys as @upstash/ratelimit's fixedWindow (either continues the other's count)", async () => {
    // Prepare: the real clock, as @upstash/ratelimit reads it; away from a window's edge.
    const left = WINDOW_MS - (Date.now() % WINDOW_MS);
    if (left < 3000) await new Promise((resolve) => setTimeout(resolve, left + 50));
    const theirs = new Ratelimit({
      redis: datastore.redis,
      prefix,
      limiter: Ratelimit.fixedWindow(3, '60 s'),
      analytics: false,
      timeout: 0,
      ephemeralCache: false,
    });
    const ours = createFixedWindow(datastore, prefix, { limit: 3, windowSeconds: 60 });

    // Act: alternate the two on one id
    const seen = [
      (await theirs.limit('d')).success,
      (await ours('d')).success,
      (await theirs.limit('d')).success,
      (await ours('d')).success,
      (await theirs.limit('d')).success,
    ];

    // Assess
    expect(seen).toEqual([true, true, true, false, false]);
    expect((await ours('d')).reset).toBe((await theirs.limit('d')).reset);
  });
});
