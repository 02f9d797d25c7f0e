// A bounded load run over HTTP: the built bundles under serverless offline (as tests/e2e), driven
// by a small fetch-based driver on loopback at a fixed concurrency. Virtual users register (some
// twice at once, to race the email), read and rename their profile, log in, move their email and
// log in again. Afterwards the data must be exactly what the acknowledged answers said:
// every user once, every email index pointing at its user, no orphan or lost session
// (verifyData = 0 problems, sessions = acknowledged sessions), every acknowledged write readable.
//
// Cheap Argon2 (ARGON2_MEMORY_KIB=1024, ARGON2_TIME_COST=1), raised rate limits, and a datastore
// timeout of 10 s instead of 2 s: this checks consistency under concurrency on a small shared CI
// machine, where the local datastore can stall for seconds when the CPU is busy; a 503 from the
// timeout is tested in faults.test.ts. Not a benchmark of the password hash, limits or timeout.
// Throughput and latency percentiles are printed, not asserted. Stops by itself: a fixed number of
// users and a deadline for starting new ones.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type InvocationQueue, startInvocationQueue } from '../../dev/invocation-queue';
import type { Offline } from '../../dev/offline';
import { freePort } from '../../dev/offline';
import { verifyData } from '../../dev/verify-data';
import { createKeys } from '../../lib/keys';
import { PASSWORD } from '../support/accounts';
import { restClient } from '../support/datastore';
import { startTestApi } from '../support/offline';

const _root = join(__dirname, '../..');
const USERS = Number(process.env.LOAD_USERS ?? 300);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 24);
/** No new virtual user starts after this; the ones running finish. */
const START_DEADLINE_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Every n-th user registers twice at the same time: exactly one may win. */
const DUPLICATE_EVERY = 10;

const redis = restClient({ automaticDeserialization: false });
let api: Offline & { prefix: string };
let queue: InvocationQueue;
let base: string;

jest.setTimeout(150_000);

beforeAll(async () => {
  // (the bundles were built once for the whole run by tests/support/global-setup.ts)
  api = await startTestApi('load', {
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    RATE_LIMIT_LOGIN_PER_IP: '1000000/60',
    RATE_LIMIT_REGISTER_PER_IP: '1000000/60',
    RATE_LIMIT_EMAIL_CHANGE_PER_USER: '1000000/60',
    CORS_ALLOWED_ORIGINS: 'http://app.example',
    DATASTORE_TIMEOUT_MS: '10000',
  });
  // As `npm start` runs it: behind the queue that keeps a 2-core machine from starting a worker
  // thread per concurrent request (dev/invocation-queue.ts).
  queue = await startInvocationQueue({
    target: api.url,
    maxConcurrent: 4,
    port: await freePort(),
    host: '127.0.0.1',
  });
  base = `http://127.0.0.1:${queue.port}`;
}, 90_000);

afterAll(async () => {
  await queue?.close();
  await api?.stop();
});

interface Sample {
  op: string;
  status: number;
  ms: number;
}

const samples: Sample[] = [];
const errors: string[] = [];

/** A status and the parsed JSON body, read by value in the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON checked field by field
type Answer = { status: number; body: any };

/** One HTTP call, timed; a thrown fetch counts as status 0. */
async function call(
  op: string,
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
) {
  const started = performance.now();
  let status = 0;
  let body: Answer['body'];
  try {
    const response = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    status = response.status;
    const text = await response.text();
    body = text ? JSON.parse(text) : undefined;
  } catch (error) {
    errors.push(`${op}: ${(error as Error).message}`);
  }
  samples.push({ op, status, ms: performance.now() - started });
  return { status, body };
}

/** What the service acknowledged for one user: the state a reader must see afterwards. */
interface Acked {
  id: string;
  name: string;
  email: string;
  token: string;
  sessions: number;
}

const acked: Acked[] = [];
let duplicateRaces = 0;

function expectStatus(op: string, got: number, wanted: number) {
  if (got !== wanted) errors.push(`${op}: expected ${wanted}, got ${got}`);
  return got === wanted;
}

/** One virtual user's script. */
async function virtualUser(n: number): Promise<void> {
  const tag = `${n}.${randomBytes(4).toString('hex')}`;
  const email = `load.${tag}@example.com`;
  const body = { name: `Load ${n}`, email, password: PASSWORD };

  let registered: Answer;
  if (n % DUPLICATE_EVERY === 0) {
    duplicateRaces += 1;
    const both = await Promise.all([
      call('register', '/users', { method: 'POST', body }),
      call('register (race)', '/users', { method: 'POST', body }),
    ]);
    const statuses = both.map((r) => r.status).sort();
    if (statuses[0] !== 201 || statuses[1] !== 409) errors.push(`duplicate race: ${statuses.join(', ')}`);
    registered = both.find((r) => r.status === 201) ?? both[0];
  } else {
    registered = await call('register', '/users', { method: 'POST', body });
  }
  if (!expectStatus('register', registered.status, 201)) return;
  const user: Acked = {
    id: registered.body.user.id,
    name: body.name,
    email,
    token: registered.body.session.accessToken,
    sessions: 1,
  };
  acked.push(user);

  const me = await call('get profile', '/users/me', { token: user.token });
  if (expectStatus('get profile', me.status, 200) && me.body?.user?.id !== user.id)
    errors.push(`get profile: not the user: ${JSON.stringify(me.body).slice(0, 200)}`);

  const name = `Renamed ${n}`;
  const renamed = await call('rename', '/users/me', { method: 'PATCH', body: { name }, token: user.token });
  if (expectStatus('rename', renamed.status, 200)) user.name = name;

  const login = await call('log in', '/sessions', {
    method: 'POST',
    body: { email: user.email, password: PASSWORD },
  });
  if (expectStatus('log in', login.status, 200)) {
    user.sessions += 1;
    user.token = login.body.session.accessToken;
  }

  const again = await call('get profile', '/users/me', { token: user.token });
  if (expectStatus('get profile', again.status, 200) && again.body?.user?.name !== user.name)
    errors.push(`get profile: not the acknowledged name: ${JSON.stringify(again.body).slice(0, 200)}`);

  if (n % 2 === 0) {
    const moved = `load.moved.${tag}@example.com`;
    const patched = await call('change email', '/users/me', {
      method: 'PATCH',
      body: { email: moved, currentPassword: PASSWORD },
      token: user.token,
    });
    if (expectStatus('change email', patched.status, 200)) user.email = moved;
    const relogin = await call('log in', '/sessions', {
      method: 'POST',
      body: { email: user.email, password: PASSWORD },
    });
    if (expectStatus('log in', relogin.status, 200)) user.sessions += 1;
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);

function report(wallMs: number) {
  const groups = new Map<string, Sample[]>([['all', samples]]);
  for (const s of samples) groups.set(s.op, [...(groups.get(s.op) ?? []), s]);
  const row = (list: Sample[]) => {
    const ms = list.map((s) => s.ms).sort((a, b) => a - b);
    return {
      requests: list.length,
      'p50 ms': Math.round(percentile(ms, 50)),
      'p95 ms': Math.round(percentile(ms, 95)),
      'p99 ms': Math.round(percentile(ms, 99)),
      'max ms': Math.round(ms[ms.length - 1] ?? 0),
    };
  };
  console.log(
    `load: ${samples.length} requests from ${USERS} virtual users at concurrency ${CONCURRENCY} in ${(wallMs / 1000).toFixed(1)} s` +
      ` = ${Math.round(samples.length / (wallMs / 1000))} req/s; errors: ${errors.length}`,
  );
  console.table(Object.fromEntries([...groups].map(([op, list]) => [op, row(list)])));
}

test(`${USERS} users at concurrency ${CONCURRENCY}: every acknowledged write is there, once, consistently`, async () => {
  // Act: a pool of workers, each taking the next virtual user until all ran or the deadline passed.
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < USERS && performance.now() - started < START_DEADLINE_MS) {
        const n = next;
        next += 1;
        await virtualUser(n);
      }
    }),
  );
  const wallMs = performance.now() - started;
  report(wallMs);

  // Assess: no failed or unexpected answer during the run.
  expect(errors.slice(0, 20)).toEqual([]);
  expect(acked.length).toBe(next);
  expect(next).toBeGreaterThanOrEqual(Math.min(USERS, 100));

  // Invariants, and exactly the acknowledged sessions: none lost, none orphaned.
  const after = await verifyData(redis, api.prefix);
  console.log(
    'verify-data after the run:',
    JSON.stringify(after.checked),
    `problems: ${after.problems.length}`,
  );
  expect(after.problems).toEqual([]);
  expect(after.checked.users).toBe(acked.length);
  expect(after.checked.emails).toBe(acked.length);
  expect(after.checked.sessions).toBe(acked.reduce((sum, u) => sum + u.sessions, 0));
  expect(after.checked.deadSessions).toBe(0);
  // Every key is of a kind the key map knows.
  expect(after.checked.other).toBe(0);

  // Every user exactly once, under its acknowledged email.
  expect(new Set(acked.map((u) => u.id)).size).toBe(acked.length);
  for (const user of acked)
    expect(await redis.hget(createKeys(api.prefix).email(user.email), 'userId')).toBe(user.id);

  // Every acknowledged write is readable: the profile over HTTP, and log-in with the final email.
  let checked = 0;
  const queue = [...acked];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let user = queue.shift(); user; user = queue.shift()) {
        const me = await call('read back', '/users/me', { token: user.token });
        expect({ status: me.status, name: me.body?.user?.name, email: me.body?.user?.email }).toEqual({
          status: 200,
          name: user.name,
          email: user.email,
        });
        const login = await call('read back', '/sessions', {
          method: 'POST',
          body: { email: user.email, password: PASSWORD },
        });
        expect({ status: login.status, id: login.body?.user?.id }).toEqual({ status: 200, id: user.id });
        checked += 1;
      }
    }),
  );
  expect(checked).toBe(acked.length);
  expect(duplicateRaces).toBeGreaterThan(0);
  const final = await verifyData(redis, api.prefix);
  expect(final.problems).toEqual([]);
});
