// Authenticated reads are read-only scripts (EVALSHA_RO); a session's lastUsedAt is written apart,
// by one small script, only when the read found it older than SESSION_TOUCH_SECONDS (60 s)
// (lib/sessions/touch.ts). Counted by a REST front of this file's own, so every command is seen.
import { randomBytes } from 'node:crypto';
import { type Datastore, startDatastore } from '../../dev/datastore/server';
import * as getProfile from '../../functions/get-profile';
import * as getSecurity from '../../functions/get-security';
import * as listPasskeys from '../../functions/list-passkeys';
import * as listSessions from '../../functions/list-sessions';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import * as revokeSession from '../../functions/revoke-session';
import * as updateProfile from '../../functions/update-profile';
import { createDatastore } from '../../lib/datastore';
import { createKeys } from '../../lib/keys';
import { accessServices, profileServices, type Services } from '../../lib/services';
import { noSessionStore } from '../../lib/sessions/store';
import { touchIfStale } from '../../lib/sessions/touch';
import { signUp } from '../support/accounts';
import { invoke, testServices } from '../support/app';

const START = Date.now();
let clock = START;
let datastore: Datastore;
let services: Services;

beforeAll(async () => {
  datastore = await startDatastore({ redisUrl: process.env.DATASTORE_REDIS_URL });
  services = servicesWith({});
  // Load the touch script into Redis once (its first call is EVALSHA, NOSCRIPT, EVAL).
  const account = await signUp(register.createHandler(services), { ip: newIp() });
  clock += 60_000;
  expect((await reads(services)['GET /users/me'](account.session.accessToken)).status).toBe(200);
});
afterAll(() => datastore?.close());
beforeEach(() => {
  clock = START;
});

function servicesWith(env: Record<string, string>): Services {
  return testServices(
    { UPSTASH_REDIS_REST_URL: datastore.url, UPSTASH_REDIS_REST_TOKEN: datastore.token, ...env },
    { now: () => clock },
  );
}

const newIp = () => `203.0.113.${randomBytes(1)[0]}`;
const reads = (s: Services) => ({
  'GET /users/me': (token: string) =>
    invoke(getProfile.createHandler(s), { method: 'GET', path: '/users/me', token }),
  'GET /sessions': (token: string) =>
    invoke(listSessions.createHandler(s), { method: 'GET', path: '/sessions', token }),
  'GET /users/me/security': (token: string) =>
    invoke(getSecurity.createHandler(s), { method: 'GET', path: '/users/me/security', token }),
  'GET /users/me/passkeys': (token: string) =>
    invoke(listPasskeys.createHandler(s), { method: 'GET', path: '/users/me/passkeys', token }),
});
type ReadName = keyof ReturnType<typeof reads>;
const READS: ReadName[] = [
  'GET /users/me',
  'GET /sessions',
  'GET /users/me/security',
  'GET /users/me/passkeys',
];

describe('an authenticated read', () => {
  test.each(READS)(
    '%s within a minute of the last use writes nothing: one read-only script',
    async (read) => {
      // Prepare: a session used 59 s ago, every script already loaded
      const account = await signUp(register.createHandler(services), { ip: newIp() });
      const run = reads(services)[read];
      expect((await run(account.session.accessToken)).status).toBe(200);
      clock += 59_000;
      datastore.resetCounts();

      // Act
      const response = await run(account.session.accessToken);

      // Assess
      expect(response.status).toBe(200);
      expect(datastore.counts()).toMatchObject({ total: 1, commands: { evalsha_ro: 1 }, writes: 0 });
    },
  );

  test.each(READS)(
    '%s a minute or more after the last use writes lastUsedAt once, then nothing',
    async (read) => {
      const account = await signUp(register.createHandler(services), { ip: newIp() });
      const run = reads(services)[read];
      expect((await run(account.session.accessToken)).status).toBe(200);
      clock += 60_000;
      datastore.resetCounts();

      const touched = await run(account.session.accessToken);
      const touchedCounts = datastore.counts();
      datastore.resetCounts();
      clock += 1000;
      const again = await run(account.session.accessToken);

      expect([touched.status, again.status]).toEqual([200, 200]);
      expect(touchedCounts).toMatchObject({ total: 2, commands: { evalsha_ro: 1, evalsha: 1 }, writes: 1 });
      expect(datastore.counts()).toMatchObject({ total: 1, writes: 0 });
      const listed = await reads(services)['GET /sessions'](account.session.accessToken);
      expect(listed.body.sessions[0].lastUsedAt).toBe(new Date(START + 60_000).toISOString());
    },
  );

  test('GET /sessions shows the time it has just written as the current session’s lastUsedAt', async () => {
    const account = await signUp(register.createHandler(services), { ip: newIp() });
    clock += 120_000;
    const listed = await reads(services)['GET /sessions'](account.session.accessToken);
    expect(listed.body.sessions).toEqual([
      expect.objectContaining({ current: true, lastUsedAt: new Date(START + 120_000).toISOString() }),
    ]);
  });

  test('with SESSION_TOUCH_SECONDS=0 every read writes lastUsedAt', async () => {
    const eager = servicesWith({ SESSION_TOUCH_SECONDS: '0' });
    const account = await signUp(register.createHandler(eager), { ip: newIp() });
    const me = reads(eager)['GET /users/me'];
    await me(account.session.accessToken);
    datastore.resetCounts();
    clock += 1;
    await me(account.session.accessToken);
    expect(datastore.counts()).toMatchObject({ total: 2, writes: 1 });
  });

  test('a revoked session is refused by the read, and never brought back by a touch', async () => {
    const account = await signUp(register.createHandler(services), { ip: newIp() });
    const { sessionId, accessToken } = account.session;
    clock += 120_000;
    const revoked = await invoke(revokeSession.createHandler(services), {
      method: 'DELETE',
      path: `/sessions/${sessionId}`,
      token: accessToken,
      pathParameters: { id: sessionId },
    });
    expect(revoked.status).toBe(204);
    // A touch that lost the race with the revocation (its read ran first) finds nothing to write.
    const store = createDatastore({ url: datastore.url, token: datastore.token, timeoutMs: 2000 });
    const keys = createKeys(services.config.keyPrefix);
    const read = { status: 'ok', lastUsedAt: String(START) };
    await touchIfStale(store, keys, { userId: account.user.id, sessionId, now: clock }, read);
    expect(await store.redis.hget(keys.sessions(account.user.id), sessionId)).toBeNull();
    expect((await reads(services)['GET /users/me'](accessToken)).status).toBe(401);
  });

  test('stale reads racing a refresh: every read answers, the rotation is kept, lastUsedAt moves once', async () => {
    // Prepare: a session last used two minutes ago
    const account = await signUp(register.createHandler(services), { ip: newIp() });
    clock += 120_000;
    const me = reads(services)['GET /users/me'];

    // Act: ten reads (each may touch) and a refresh, all at once
    const [refreshed, ...answers] = await Promise.all([
      invoke(refreshSession.createHandler(services), {
        method: 'POST',
        path: '/sessions/refresh',
        body: { refreshToken: account.session.refreshToken },
      }),
      ...Array.from({ length: 10 }, () => me(account.session.accessToken)),
    ]);

    // Assess: the new refresh token works, the old one is spent; lastUsedAt is the touch time
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(refreshed?.status).toBe(200);
    const again = await invoke(refreshSession.createHandler(services), {
      method: 'POST',
      path: '/sessions/refresh',
      body: { refreshToken: refreshed?.body.session.refreshToken },
    });
    expect(again.status).toBe(200);
    const listed = await reads(services)['GET /sessions'](again.body.session.accessToken);
    expect(listed.body.sessions).toEqual([
      expect.objectContaining({ lastUsedAt: new Date(START + 120_000).toISOString() }),
    ]);
  });

  test('a touch that fails never fails the read: it is logged, and the next read tries again', async () => {
    const failing = {
      ...createDatastore({ url: datastore.url, token: datastore.token, timeoutMs: 2000 }),
      script: () => async () => {
        throw Object.assign(new Error('datastore: unreachable'), { name: 'ServiceUnavailableError' });
      },
    };
    const logged: string[] = [];
    jest.spyOn(console, 'error').mockImplementation((line: string) => logged.push(line));
    const read: { status: string; lastUsedAt: string; touchedAt?: number } = {
      status: 'ok',
      lastUsedAt: '0',
    };
    await expect(
      touchIfStale(
        failing,
        createKeys('test:touch:'),
        { userId: 'usr_x', sessionId: 'ses_y', now: 120_000 },
        read,
      ),
    ).resolves.toBeUndefined();
    expect(read.touchedAt).toBeUndefined();
    expect(logged.map((line) => JSON.parse(line))).toEqual([
      {
        level: 'WARN',
        message: 'session touch failed',
        sessionId: 'ses_y',
        cause: 'ServiceUnavailableError',
      },
    ]);
    jest.restoreAllMocks();
  });
});

// The builders the functions are deployed with hand the touch to the reads that should refresh
// `lastUsedAt` (lib/accounts/store.ts `createUserReader`); the session check another function makes
// before refusing a body writes nothing, and its bundle carries no touch at all.
describe('as deployed', () => {
  test('GET /users/me touches the session; PATCH /users/me refusing a body checks it and writes nothing', async () => {
    const own = {
      UPSTASH_REDIS_REST_URL: datastore.url,
      UPSTASH_REDIS_REST_TOKEN: datastore.token,
      KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
      SESSION_TOUCH_SECONDS: '0',
    };
    const env = { ...process.env, ...own };
    // Signed up on the same keys and the real clock, as the deployed builders read them.
    const account = await signUp(register.createHandler(testServices(own)), { ip: newIp() });
    const token = account.session.accessToken;
    const me = getProfile.createHandler(accessServices(noSessionStore, touchIfStale)(env));
    const patch = updateProfile.createHandler(profileServices(env));
    await invoke(me, { method: 'GET', path: '/users/me', token });
    await invoke(patch, { method: 'PATCH', path: '/users/me', token, body: { name: '' } });

    datastore.resetCounts();
    const read = await invoke(me, { method: 'GET', path: '/users/me', token });
    const readCounts = datastore.counts();
    datastore.resetCounts();
    const refused = await invoke(patch, { method: 'PATCH', path: '/users/me', token, body: { name: '' } });

    expect([read.status, refused.status]).toEqual([200, 400]);
    expect(readCounts).toMatchObject({ total: 2, commands: { evalsha_ro: 1, evalsha: 1 }, writes: 1 });
    expect(datastore.counts()).toMatchObject({ total: 1, commands: { evalsha_ro: 1 }, writes: 0 });
  });
});
