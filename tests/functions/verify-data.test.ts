// The invariant checker against the run's datastore: broken states seeded by hand are each reported,
// healthy data (hand-made, and made by the real handlers through a whole flow) reports nothing.
import { randomBytes } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { verifyData } from '../../dev/verify-data';
import * as changePassword from '../../functions/change-password';
import * as deleteAccount from '../../functions/delete-account';
import * as login from '../../functions/login';
import * as logout from '../../functions/logout';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import * as updateProfile from '../../functions/update-profile';
import { createKeys, type Keys } from '../../lib/keys';
import { invoke, testServices } from '../support/app';
import { restClient, uniquePrefix } from '../support/datastore';

const raw = restClient({ automaticDeserialization: false });
const parsed = restClient();
const base = uniquePrefix(__filename);
const DAY_MS = 86_400_000;

/** A fresh prefix per case, so each report is about that case only. */
const casePrefix = () => `${base}${randomBytes(4).toString('hex')}:`;

interface Seeded {
  userId: string;
  email: string;
  sessionId: string;
  refreshHash: string;
}

const HASH = '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g';

/** A session record as the scripts store it in sessions:<uid>. */
const sessionRecord = (id: string, refreshHash: string, expiresAt = Date.now() + DAY_MS) =>
  JSON.stringify({
    id,
    createdAt: String(Date.now()),
    lastUsedAt: String(Date.now()),
    expiresAt: String(expiresAt),
    userAgent: 'jest',
    refreshHash,
    spent: [],
  });

/** A link record as the scripts store it in links:<uid> (a verify link names its address). */
const linkRecord = (email?: string, expiresAt = Date.now() + 3_000_000) =>
  JSON.stringify({ hash: 'link-hash', ...(email ? { email } : {}), expiresAt: String(expiresAt) });

/** Writes one consistent user with one session, key by key, as the Lua scripts would. */
async function seedUser(redis: Redis, prefix: string, tag = randomBytes(4).toString('hex')): Promise<Seeded> {
  const keys = createKeys(prefix);
  const s: Seeded = {
    userId: `usr_${tag}`,
    email: `${tag}@example.com`,
    sessionId: `ses_${tag}`,
    refreshHash: `hash-${tag}`,
  };
  const now = String(Date.now());
  await redis.hset(keys.email(s.email), { userId: s.userId, passwordHash: HASH });
  await redis.hset(keys.user(s.userId), {
    id: s.userId,
    name: 'Seeded',
    email: s.email,
    emailVerified: '0',
    passwordHash: HASH,
    createdAt: now,
    updatedAt: now,
  });
  await redis.hset(keys.sessions(s.userId), { [s.sessionId]: sessionRecord(s.sessionId, s.refreshHash) });
  await redis.pexpire(keys.sessions(s.userId), DAY_MS + 60_000);
  return s;
}

test.each([
  ['a raw client', raw],
  ['a deserialising client', parsed],
])('hand-seeded healthy data reports no problem, read through %s', async (_, client) => {
  // Prepare
  const prefix = casePrefix();
  const keys = createKeys(prefix);
  await seedUser(raw, prefix, 'a');
  await seedUser(raw, prefix, 'b');
  await raw.hset(keys.loginFailures('x@example.com'), { count: '1' });
  await raw.expire(keys.loginFailures('x@example.com'), 60);
  await raw.hset(keys.reauthFailures('usr_a'), { count: '1' });
  await raw.expire(keys.reauthFailures('usr_a'), 60);
  await raw.hset(keys.links('usr_b'), { verify: linkRecord('b@example.com'), reset: linkRecord() });
  await raw.pexpire(keys.links('usr_b'), 3_600_000);

  // Act
  const report = await verifyData(client, prefix);

  // Assess
  expect(report).toEqual({
    checked: {
      keys: 9,
      users: 2,
      emails: 2,
      sessions: 2,
      sessionSets: 2,
      deadSessions: 0,
      loginFailures: 1,
      reauthFailures: 1,
      links: 2,
      identities: 0,
      rateLimits: 0,
      other: 0,
      vanished: 0,
    },
    problems: [],
  });
});

test('an empty prefix reports nothing, and keys of a longer prefix sharing the start are not mixed in', async () => {
  const prefix = casePrefix();
  await seedUser(raw, `${prefix}nested:`);
  const report = await verifyData(raw, `${prefix}nested:`);
  expect(report.problems).toEqual([]);
  expect(report.checked.users).toBe(1);
  // Seen from the outer prefix the nested keys are of an unknown shape: counted, never judged.
  const outer = await verifyData(raw, prefix);
  expect(outer.problems).toEqual([]);
  expect(outer.checked).toMatchObject({ keys: 3, other: 3, users: 0 });
});

type Breaker = (redis: Redis, keys: Keys, s: Seeded) => Promise<unknown>;

test.each<[string, Breaker, (s: Seeded) => string[]]>([
  [
    'a user without its email index',
    (r, k, s) => r.del(k.email(s.email)),
    (s) => [`I1 user:${s.userId} has no email index (email:${s.email})`],
  ],
  [
    'an email index pointing at a missing user',
    (r, k) => r.hset(k.email('ghost@example.com'), { userId: 'usr_ghost', passwordHash: HASH }),
    () => ['I1 email:ghost@example.com points at user usr_ghost, which does not exist'],
  ],
  [
    'an email index pointing at a user with another email',
    (r, k, s) => r.hset(k.email('other@example.com'), { userId: s.userId, passwordHash: HASH }),
    (s) => [`I1 email:other@example.com points at user ${s.userId}, whose email is ${s.email}`],
  ],
  [
    'a user whose email index points at someone else',
    async (r, k, s) => {
      const other = await seedUser(r, k.prefix, 'other');
      await r.hset(k.email(s.email), { userId: other.userId });
    },
    (s) => [
      `I1 email:${s.email} points at user usr_other, whose email is other@example.com`,
      `I1 user:${s.userId} has email ${s.email}, but its index points at usr_other`,
    ],
  ],
  [
    'a credential whose password hash differs from the user',
    (r, k, s) => r.hset(k.email(s.email), { passwordHash: 'stale' }),
    (s) => [`I2 email:${s.email} holds another password hash than user:${s.userId}`],
  ],
  [
    'a half-written user (no hash, no name)',
    (r, k, s) => r.hdel(k.user(s.userId), 'passwordHash', 'name'),
    (s) => [
      `user:${s.userId} lacks name, passwordHash`,
      `I2 email:${s.email} holds another password hash than user:${s.userId}`,
    ],
  ],
  [
    'sessions whose user is gone',
    (r, k, s) => r.del(k.user(s.userId), k.email(s.email)),
    (s) => [`I3 sessions:${s.userId} exists, but user ${s.userId} does not`],
  ],
  [
    'a session filed under another id',
    (r, k, s) => r.hset(k.sessions(s.userId), { ses_elsewhere: sessionRecord(s.sessionId, 'h2') }),
    (s) => [`I3 sessions:${s.userId} files session ${s.sessionId} under ses_elsewhere`],
  ],
  [
    'two sessions sharing a refresh token hash',
    (r, k, s) => r.hset(k.sessions(s.userId), { ses_twin: sessionRecord('ses_twin', s.refreshHash) }),
    (s) => [`I3 sessions ${s.sessionId} and ses_twin share a refresh token hash`],
  ],
  [
    'a session record that is not JSON',
    (r, k, s) => r.hset(k.sessions(s.userId), { ses_junk: 'junk' }),
    (s) => [`sessions:${s.userId} holds a session ses_junk that is not a JSON object`],
  ],
  [
    'sessions without a TTL',
    (r, k, s) => r.persist(k.sessions(s.userId)),
    (s) => [`I4 sessions:${s.userId} expires before its latest session`],
  ],
  [
    'sessions that expire before their latest session',
    (r, k, s) => r.pexpire(k.sessions(s.userId), 60_000),
    (s) => [`I4 sessions:${s.userId} expires before its latest session`],
  ],
  [
    'a login-failure counter without a TTL',
    (r, k) => r.hset(k.loginFailures('x@example.com'), { count: '3' }),
    () => ['I4 login-failures:x@example.com: back-off counter has no TTL'],
  ],
  [
    'a re-authentication counter without a TTL',
    (r, k, s) => r.hset(k.reauthFailures(s.userId), { count: '3' }),
    (s) => [`I4 reauth-failures:${s.userId}: back-off counter has no TTL`],
  ],
  [
    'links whose user is gone',
    async (r, k, s) => {
      await r.hset(k.links(s.userId), { reset: linkRecord() });
      await r.pexpire(k.links(s.userId), 3_600_000);
      await r.del(k.user(s.userId), k.email(s.email), k.sessions(s.userId));
    },
    (s) => [`I5 links:${s.userId} exists, but user ${s.userId} does not`],
  ],
  [
    'a verify link for an address the user no longer has',
    async (r, k, s) => {
      await r.hset(k.links(s.userId), { verify: linkRecord('old@example.com') });
      await r.pexpire(k.links(s.userId), 3_600_000);
    },
    (s) => [`I5 links:${s.userId} holds a verify link for another address than the user's`],
  ],
  [
    'a malformed link',
    async (r, k, s) => {
      await r.hset(k.links(s.userId), { reset: '{"hash":"h"}' });
      await r.pexpire(k.links(s.userId), 3_600_000);
    },
    (s) => [`I5 links:${s.userId} holds a malformed reset link`],
  ],
  [
    'links without a TTL',
    (r, k, s) => r.hset(k.links(s.userId), { verify: linkRecord(s.email) }),
    (s) => [`I5 links:${s.userId} expires before its latest link`],
  ],
  [
    'an email index of the wrong type',
    (r, k) => r.set(k.email('typed@example.com'), 'usr_x'),
    () => ['email:typed@example.com: is a string, expected a hash'],
  ],
])('reports %s', async (_, breakIt, expected) => {
  // Prepare
  const prefix = casePrefix();
  const seeded = await seedUser(raw, prefix);
  await breakIt(raw, createKeys(prefix), seeded);

  // Act
  const report = await verifyData(raw, prefix);

  // Assess: exactly the expected lines (keys are named without the prefix).
  expect([...report.problems].sort()).toEqual([...expected(seeded)].sort());
});

test('session records past their expiry are counted as dead, not reported', async () => {
  const prefix = casePrefix();
  const s = await seedUser(raw, prefix);
  await raw.hset(createKeys(prefix).sessions(s.userId), {
    ses_expired1: sessionRecord('ses_expired1', 'h1', Date.now() - 1000),
    ses_expired2: sessionRecord('ses_expired2', 'h2', Date.now() - 1000),
  });
  const report = await verifyData(raw, prefix);
  expect(report.problems).toEqual([]);
  expect(report.checked).toMatchObject({ sessions: 1, deadSessions: 2 });
});

test('a whole flow through the real handlers leaves no broken invariant', async () => {
  // Prepare
  const services = testServices();
  const prefix = services.config.keyPrefix;
  const h = {
    register: register.createHandler(services),
    login: login.createHandler(services),
    refresh: refreshSession.createHandler(services),
    update: updateProfile.createHandler(services),
    password: changePassword.createHandler(services),
    logout: logout.createHandler(services),
    remove: deleteAccount.createHandler(services),
  };
  const password = 'correct horse battery staple';
  const newPassword = 'a different long passphrase';
  const email = (tag: string) => `verify.${tag}.${randomBytes(4).toString('hex')}@example.com`;
  const users = await Promise.all(
    ['a', 'b', 'c'].map(async (tag) => {
      const res = await invoke(h.register, {
        method: 'POST',
        path: '/users',
        body: { name: `User ${tag}`, email: email(tag), password },
      });
      expect(res.status).toBe(201);
      return { email: res.body.user.email as string, session: res.body.session };
    }),
  );
  const [a, b, c] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];

  // Act: every kind of write — log in, rotate (and replay a spent token), move an email,
  // change a password, log out, delete an account, and a failed log-in.
  const second = await invoke(h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email: a.email, password },
  });
  expect(second.status).toBe(200);
  const rotated = await invoke(h.refresh, {
    method: 'POST',
    path: '/sessions/refresh',
    body: { refreshToken: a.session.refreshToken },
  });
  expect(rotated.status).toBe(200);
  const replay = await invoke(h.refresh, {
    method: 'POST',
    path: '/sessions/refresh',
    body: { refreshToken: a.session.refreshToken },
  });
  expect(replay.status).toBe(401);
  const moved = await invoke(h.update, {
    method: 'PATCH',
    path: '/users/me',
    token: second.body.session.accessToken,
    body: { email: email('a2'), currentPassword: password },
  });
  expect(moved.status).toBe(200);
  const changed = await invoke(h.password, {
    method: 'PUT',
    path: '/users/me/password',
    token: b.session.accessToken,
    body: { currentPassword: password, newPassword },
  });
  expect(changed.status).toBe(204);
  expect(
    (await invoke(h.logout, { method: 'DELETE', path: '/sessions/current', token: b.session.accessToken }))
      .status,
  ).toBe(204);
  expect(
    (
      await invoke(h.remove, {
        method: 'DELETE',
        path: '/users/me',
        token: c.session.accessToken,
        body: { password },
      })
    ).status,
  ).toBe(204);
  expect(
    (await invoke(h.login, { method: 'POST', path: '/sessions', body: { email: b.email, password } })).status,
  ).toBe(401);

  // Assess
  const report = await verifyData(raw, prefix);
  expect(report.problems).toEqual([]);
  expect(report.checked).toMatchObject({
    users: 2,
    emails: 2,
    loginFailures: 1,
    deadSessions: 0,
  });
});
