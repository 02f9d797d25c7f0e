// A new user's first load test: `npm start` freshly started (the built launcher, dist/tools/start.js,
// on the embedded engine, as `npm start` runs it), then 60 concurrent registrations and 60 concurrent
// log-ins of those users. Every answer must be the success for its own request: status and the
// user's own email in the body — serverless offline answers a Lambda timeout with status 200 and an
// error body, so the status alone would not catch it.
//
// Production settings throughout (real Argon2 cost, DATASTORE_TIMEOUT_MS 2000, Lambda timeout 10 s),
// except the per-IP rate limits, raised so that 60 requests from one address are not refused with 429.
// Requests go only to the stack started here, on loopback; 120 in all plus the start-up banner wait.
// Wall times are printed, not asserted.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '../../dev/offline';
import { PASSWORD } from '../support/accounts';

const root = join(__dirname, '../..');
const BURST = 60;
const START_TIMEOUT_MS = 90_000;
const REQUEST_TIMEOUT_MS = 60_000;

jest.setTimeout(240_000);

let stack: ChildProcess;
let base: string;
let output = '';
const timings: Record<string, number> = {};

beforeAll(async () => {
  // global-setup builds the functions; the launcher is built here, as `npm start` builds it.
  execFileSync(process.execPath, [join(root, 'esbuild.config.mjs'), 'tools'], { stdio: 'inherit' });
  const port = await freePort();
  const demoPort = await freePort();
  const started = performance.now();
  // A fresh environment, as a new user's shell: no datastore from the test run (so the launcher starts
  // its own embedded engine), no REDIS_URL, nothing from tests/support/env.ts.
  stack = spawn(process.execPath, [join(root, 'dist/tools/start.js')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? root,
      PORT: String(port),
      DEMO_PORT: String(demoPort),
      HOST: '127.0.0.1',
      RATE_LIMIT_LOGIN_PER_IP: '1000/60',
      RATE_LIMIT_REGISTER_PER_IP: '1000/60',
    },
  });
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  stack.stdout?.on('data', collect);
  stack.stderr?.on('data', collect);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes('Account API ready at')) {
    if (stack.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not get ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(output).toContain('Datastore: embedded');
  base = `http://127.0.0.1:${port}`;
  timings['start-up'] = performance.now() - started;
}, START_TIMEOUT_MS + 60_000);

afterAll(async () => {
  if (stack && stack.exitCode === null && stack.signalCode === null) {
    const exited = new Promise((resolve) => stack.once('exit', resolve));
    stack.kill('SIGTERM');
    const timer = setTimeout(() => stack.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  console.log(
    `cold burst (${BURST} concurrent requests each): ${Object.entries(timings)
      .map(([name, ms]) => `${name} ${Math.round(ms)} ms`)
      .join(', ')}`,
  );
});

const tag = randomBytes(4).toString('hex');
const emailOf = (n: number) => `cold-burst.${tag}.${n}@example.com`;

/**
 * Sends `BURST` POSTs at once and returns what went wrong: one line per answer that is not `status`
 * with the request's own user in the body.
 */
async function burst(name: string, path: string, status: number, bodyOf: (n: number) => object) {
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: BURST }, async (_, n) => {
      try {
        const response = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(bodyOf(n)),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        return { n, status: response.status, text: await response.text() };
      } catch (error) {
        return { n, status: 0, text: (error as Error).message };
      }
    }),
  );
  timings[name] = performance.now() - started;
  return answers
    .filter(({ n, status: got, text }) => {
      if (got !== status) return true;
      try {
        return JSON.parse(text).user?.email !== emailOf(n);
      } catch {
        return true;
      }
    })
    .map(({ n, status: got, text }) => `#${n}: ${got} ${text.slice(0, 200)}`);
}

test(`${BURST} concurrent registrations on a fresh stack all succeed`, async () => {
  const failures = await burst('registrations', '/users', 201, (n) => ({
    name: `Cold ${n}`,
    email: emailOf(n),
    password: PASSWORD,
  }));
  expect(failures).toEqual([]);
});

test(`${BURST} concurrent log-ins of those users, on workers never used for log-in, all succeed`, async () => {
  const failures = await burst('log-ins', '/sessions', 200, (n) => ({
    email: emailOf(n),
    password: PASSWORD,
  }));
  expect(failures).toEqual([]);
});
