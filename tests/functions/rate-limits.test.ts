import * as login from '../../functions/login';
import * as register from '../../functions/register';
import type { Services } from '../../lib/services';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { invoke, type Response, testServices } from '../support/app';
import { createHandlers } from '../support/handlers';

const WRONG = 'not the password at all';
const IP_A = '203.0.113.10';
const IP_B = '203.0.113.20';
const IP_C = '198.51.100.30';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @upstash/ratelimit's fixed windows are aligned on multiples of the window and use the real
 * clock. A test that straddled a window edge would see its count reset halfway, so wait for the
 * next window when less than `marginMs` of this one is left.
 */
async function awayFromWindowEdge(windowSeconds: number, marginMs = 3000): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await sleep(left + 50);
}

/** What `Retry-After` must say at `at` for a fixed window of `windowSeconds`: the seconds to its end. */
const secondsToWindowEnd = (windowSeconds: number, at: number) => {
  const windowMs = windowSeconds * 1000;
  return Math.ceil(((Math.floor(at / windowMs) + 1) * windowMs - at) / 1000);
};

const expectRateLimited = (res: Response, retryAfterSeconds?: number) => {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  if (retryAfterSeconds !== undefined) expect(res.headers['retry-after']).toBe(String(retryAfterSeconds));
  expect(res.body).toEqual({
    type: 'urn:account-service:problem:rate_limited',
    title: 'Too many requests',
    status: 429,
    detail: `Too many attempts; retry in ${res.headers['retry-after']} s.`,
    code: 'rate_limited',
    requestId: expect.any(String),
  });
};

const expectInvalidCredentials = (res: Response) => {
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('invalid_credentials');
};

function handlers(services: Services) {
  const loginHandler = login.createHandler(services);
  const registerHandler = register.createHandler(services);
  return {
    login: (email: string, password: string, ip = IP_A, headers: Record<string, string> = {}) =>
      invoke(loginHandler, { method: 'POST', path: '/sessions', body: { email, password }, ip, headers }),
    register: (email: string, ip = IP_A, headers: Record<string, string> = {}) =>
      invoke(registerHandler, {
        method: 'POST',
        path: '/users',
        body: { name: 'Limit Tester', email, password: PASSWORD },
        ip,
        headers,
      }),
  };
}

describe('per-IP limit on log-in (RATE_LIMIT_LOGIN_PER_IP)', () => {
  test('3/60: the 4th attempt from one IP → 429 with the seconds left in the window; other IPs unaffected', async () => {
    // Prepare
    const h = handlers(testServices({ RATE_LIMIT_LOGIN_PER_IP: '3/60' }));
    const email = uniqueEmail('limits');
    expect((await h.register(email, IP_C)).status).toBe(201);
    await awayFromWindowEdge(60);

    // Act: successes and failures both count
    expect((await h.login(email, PASSWORD)).status).toBe(200);
    expectInvalidCredentials(await h.login(email, WRONG));
    expectInvalidCredentials(await h.login(uniqueEmail(), PASSWORD));
    const blocked = await h.login(email, PASSWORD);
    const at = Date.now();

    // Assess
    expectRateLimited(blocked);
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Math.abs(retryAfter - secondsToWindowEnd(60, at))).toBeLessThanOrEqual(1);
    expect(blocked.headers['access-control-expose-headers']).toContain('Retry-After');
    // Still blocked, even with the right password; another IP is not.
    expectRateLimited(await h.login(email, PASSWORD));
    expect((await h.login(email, PASSWORD, IP_B)).status).toBe(200);
  });

  test('the client IP is the API Gateway source IP; X-Forwarded-For is ignored', async () => {
    // Prepare
    const h = handlers(testServices({ RATE_LIMIT_LOGIN_PER_IP: '2/60' }));
    await awayFromWindowEdge(60);
    for (let i = 0; i < 2; i++) expectInvalidCredentials(await h.login(uniqueEmail(), WRONG, IP_A));

    // Act & assess: a blocked client cannot escape by claiming another address…
    expectRateLimited(await h.login(uniqueEmail(), WRONG, IP_A, { 'x-forwarded-for': IP_B }));
    expectRateLimited(await h.login(uniqueEmail(), WRONG, IP_A, { 'X-Forwarded-For': `${IP_C}, ${IP_B}` }));
    // …and cannot get another client blocked by claiming its address.
    expectInvalidCredentials(await h.login(uniqueEmail(), WRONG, IP_B, { 'x-forwarded-for': IP_A }));
    expectInvalidCredentials(await h.login(uniqueEmail(), WRONG, IP_C, { 'x-forwarded-for': IP_A }));
  });

  test('an IPv6 client with a /64 of fresh addresses is one client: 31 attempts from 31 addresses → the 31st gets 429', async () => {
    const h = handlers(testServices({ RATE_LIMIT_LOGIN_PER_IP: '30/300' }));
    await awayFromWindowEdge(300);

    for (let i = 1; i <= 30; i++)
      expectInvalidCredentials(await h.login(uniqueEmail(), WRONG, `2001:db8:7:7::${i.toString(16)}`));
    expectRateLimited(await h.login(uniqueEmail(), WRONG, '2001:db8:7:7:ffff:ffff:ffff:ffff'));
    // Another /64 is another client.
    expectInvalidCredentials(await h.login(uniqueEmail(), WRONG, '2001:db8:7:8::1'));
  });
});

describe('per-IP limit on register (RATE_LIMIT_REGISTER_PER_IP)', () => {
  test('2/60: the 3rd registration from one IP → 429; other IPs unaffected; X-Forwarded-For ignored', async () => {
    // Prepare
    const h = handlers(testServices({ RATE_LIMIT_REGISTER_PER_IP: '2/60' }));
    await awayFromWindowEdge(60);
    const taken = uniqueEmail('limits');

    // Act: a registration refused with 409 still counts (enumeration attempts are limited too)
    expect((await h.register(taken)).status).toBe(201);
    expect((await h.register(taken)).status).toBe(409);
    const blocked = await h.register(uniqueEmail('limits'));
    const at = Date.now();

    // Assess
    expectRateLimited(blocked);
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Math.abs(retryAfter - secondsToWindowEnd(60, at))).toBeLessThanOrEqual(1);
    expectRateLimited(await h.register(uniqueEmail(), IP_A, { 'x-forwarded-for': IP_B }));
    expect((await h.register(uniqueEmail(), IP_B, { 'x-forwarded-for': IP_A })).status).toBe(201);
  });

  test('the register and log-in limits are separate quotas', async () => {
    const h = handlers(testServices({ RATE_LIMIT_REGISTER_PER_IP: '1/60', RATE_LIMIT_LOGIN_PER_IP: '1/60' }));
    await awayFromWindowEdge(60);
    const email = uniqueEmail('limits');

    expect((await h.register(email)).status).toBe(201);
    expect((await h.login(email, PASSWORD)).status).toBe(200);
    expectRateLimited(await h.register(uniqueEmail('limits')));
    expectRateLimited(await h.login(email, PASSWORD));
  });
});

describe('log-in back-off per (account, client) and the account-wide ceiling', () => {
  // Injected clock: the back-off deadline is computed from `now`, so time can be stepped over.
  let clock = Date.parse('2032-01-01T00:00:00.000Z');
  const h = handlers(testServices({}, { now: () => clock }));

  test('5 failures → locked 1 s (even for the right password); then 2^(n−5) s, capped at 900 s; a success resets', async () => {
    // Prepare
    const email = uniqueEmail('backoff');
    expect((await h.register(email)).status).toBe(201);
    for (let n = 1; n <= 5; n++) expectInvalidCredentials(await h.login(email, WRONG));

    // Act & assess: the 6th attempt is refused before the password is looked at
    expectRateLimited(await h.login(email, PASSWORD), 1);

    let lockSeconds = 1;
    const seen: number[] = [lockSeconds];
    for (let n = 6; n <= 16; n++) {
      clock += lockSeconds * 1000; // exactly at the deadline: allowed again
      expectInvalidCredentials(await h.login(email, WRONG));
      lockSeconds = Math.min(2 ** (n - 5), 900);
      expectRateLimited(await h.login(email, PASSWORD), lockSeconds);
      seen.push(lockSeconds);
    }
    expect(seen).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);

    // Retry-After counts down with the clock, and never says 0.
    clock += 300_000;
    expectRateLimited(await h.login(email, PASSWORD), 600);
    clock += 599_500;
    expectRateLimited(await h.login(email, PASSWORD), 1);

    // A success at the deadline clears the back-off entirely: five fresh failures before the next lock.
    clock += 500;
    expect((await h.login(email, PASSWORD)).status).toBe(200);
    for (let n = 1; n <= 5; n++) expectInvalidCredentials(await h.login(email, WRONG));
    expectRateLimited(await h.login(email, PASSWORD), 1);
  });

  test('one locked account does not lock another, nor an IP', async () => {
    const locked = uniqueEmail('backoff');
    const other = uniqueEmail('backoff');
    expect((await h.register(locked)).status).toBe(201);
    expect((await h.register(other)).status).toBe(201);
    for (let n = 1; n <= 5; n++) expectInvalidCredentials(await h.login(locked, WRONG));

    expectRateLimited(await h.login(locked, PASSWORD), 1);
    expect((await h.login(other, PASSWORD)).status).toBe(200);
  });

  test('the back-off follows the canonical email: case and spacing do not give fresh counters', async () => {
    const email = uniqueEmail('backoff');
    expect((await h.register(email)).status).toBe(201);
    const variants = [email, email.toUpperCase(), ` ${email} `, email.replace('backoff', 'BackOff'), email];
    for (const variant of variants) expectInvalidCredentials(await h.login(variant, WRONG));

    expectRateLimited(await h.login(email, PASSWORD), 1);
  });

  // KNOWN BUG (reported): the lock is read before the password check and the failure counted
  // after it, in two scripts, so parallel guesses all get through (30 in parallel → 30 × 401).
  // The check and the count are one atomic script (BEGIN_LOGIN): parallel guesses are counted
  // before their hashes are checked.
  test('parallel guesses cannot get past the back-off: of 20 at once, at most 5 reach the password check', async () => {
    const email = uniqueEmail('backoff');
    expect((await h.register(email)).status).toBe(201);

    const results = await Promise.all(Array.from({ length: 20 }, () => h.login(email, WRONG)));

    expect(results.filter((r) => r.status === 401).length).toBeLessThanOrEqual(5);
    for (const r of results.filter((r) => r.status !== 401)) expectRateLimited(r);
  });

  test('targeted lockout: an attacker at one IP drives the account to the 900 s cap; the owner at another IP logs in at once', async () => {
    // Prepare: the attacker's 16 wrong guesses, each at its deadline, reach the cap
    const email = uniqueEmail('lockout');
    expect((await h.register(email)).status).toBe(201);
    for (let n = 1; n <= 5; n++) expectInvalidCredentials(await h.login(email, WRONG, IP_A));
    for (let n = 6; n <= 16; n++) {
      clock += Math.min(2 ** (n - 6), 900) * 1000;
      expectInvalidCredentials(await h.login(email, WRONG, IP_A));
    }
    expectRateLimited(await h.login(email, PASSWORD, IP_A), 900);

    // Act & assess: the owner, elsewhere, is not locked out; the attacker still is
    expect((await h.login(email, PASSWORD, IP_B)).status).toBe(200);
    expectRateLimited(await h.login(email, PASSWORD, IP_A), 900);
  });

  test('an IPv6 attacker has one back-off per /64, not one per address', async () => {
    const email = uniqueEmail('lockout');
    expect((await h.register(email)).status).toBe(201);
    for (let n = 1; n <= 5; n++) expectInvalidCredentials(await h.login(email, WRONG, `2001:db8:1:2::${n}`));

    expectRateLimited(await h.login(email, PASSWORD, '2001:db8:1:2:ffff:ffff:ffff:ffff'), 1);
    expect((await h.login(email, PASSWORD, '2001:db8:1:3::1')).status).toBe(200);
  });

  test("account-wide ceiling: 100 failures from 100 IPs in an hour → 429 from any IP, the owner's too, until the hour is over", async () => {
    // Prepare: 99 failures from 99 addresses, none of them near its own back-off
    const email = uniqueEmail('ceiling');
    expect((await h.register(email)).status).toBe(201);
    const start = clock;
    const ip = (n: number) => `198.18.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    for (let n = 0; n < 99; n++) expectInvalidCredentials(await h.login(email, WRONG, ip(n)));

    // A success is not a failure: the owner's log-in does not use up the ceiling
    expect((await h.login(email, PASSWORD, IP_C)).status).toBe(200);
    expectInvalidCredentials(await h.login(email, WRONG, ip(99)));

    // Act & assess: the 101st attempt is refused wherever it comes from, the right password too
    // (from a device without a known-device token); Retry-After is the whole window, not its end.
    clock += 60_000;
    expectRateLimited(await h.login(email, WRONG, ip(100)), 3600);
    expectRateLimited(await h.login(email, PASSWORD, IP_C), 3600);

    // An hour after the first failure, the ceiling's window is over.
    clock = start + 3_600_000;
    expect((await h.login(email, PASSWORD, IP_C)).status).toBe(200);
  });

  test('an unknown email backs off exactly like a known one: no enumeration', async () => {
    // Prepare
    const known = uniqueEmail('backoff');
    const unknown = uniqueEmail('backoff');
    expect((await h.register(known)).status).toBe(201);
    const withoutRequestId = ({ requestId, ...rest }: Record<string, unknown>) => rest;

    // Act & assess, side by side
    for (let n = 1; n <= 5; n++) {
      const a = await h.login(known, WRONG);
      const b = await h.login(unknown, WRONG);
      expect(b.status).toBe(a.status);
      expect(withoutRequestId(b.body)).toEqual(withoutRequestId(a.body));
    }
    const lockedKnown = await h.login(known, WRONG);
    const lockedUnknown = await h.login(unknown, WRONG);
    expectRateLimited(lockedKnown, 1);
    expectRateLimited(lockedUnknown, 1);
    expect(withoutRequestId(lockedUnknown.body)).toEqual(withoutRequestId(lockedKnown.body));

    clock += 1000;
    expectInvalidCredentials(await h.login(unknown, WRONG));
    expectRateLimited(await h.login(unknown, WRONG), 2);
  });
});

describe('email changes are no free oracle of registered emails (Hardening)', () => {
  async function setUp(env: Record<string, string>) {
    const h = createHandlers(testServices(env));
    const sign = (email: string, ip: string) =>
      invoke(h.register, {
        method: 'POST',
        path: '/users',
        body: { name: 'Oracle', email, password: PASSWORD },
        ip,
      });
    const taken = uniqueEmail('limits');
    expect((await sign(taken, '198.51.100.41')).status).toBe(201);
    const token = (await sign(uniqueEmail(), '198.51.100.42')).body.session.accessToken;
    const change = (email: string, ip: string) =>
      invoke(h.updateProfile, {
        method: 'PATCH',
        path: '/users/me',
        token,
        ip,
        body: { email, currentPassword: PASSWORD },
      });
    return { taken, change };
  }

  test('probing registered emails through PATCH /users/me: each 409 counts against RATE_LIMIT_REGISTER_PER_IP', async () => {
    const { taken, change } = await setUp({ RATE_LIMIT_REGISTER_PER_IP: '1/3600' });
    expect((await change(taken, IP_A)).status).toBe(409);
    const second = await change(taken, IP_A);
    expect(second.status).toBe(429);
    expect(second.body.code).toBe('rate_limited');
  });

  test('RATE_LIMIT_EMAIL_CHANGE_PER_USER: the 3rd email change of one user → 429, from any address', async () => {
    const { change } = await setUp({ RATE_LIMIT_EMAIL_CHANGE_PER_USER: '2/3600' });
    expect((await change(uniqueEmail(), IP_A)).status).toBe(200);
    expect((await change(uniqueEmail(), IP_B)).status).toBe(200);
    expect((await change(uniqueEmail(), IP_C)).status).toBe(429);
  });
});
