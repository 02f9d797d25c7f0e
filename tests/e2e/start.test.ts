// `npm start` as a user runs it (dist/tools/start.js, built here): a configuration variable set in
// its shell reaches the functions. REFRESH_REUSE_GRACE_SECONDS=0 is the visible one: a spent
// refresh token replayed at once revokes the session, where the default 10 s window would forgive it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '../../dev/offline';

const root = join(__dirname, '../..');
let child: ChildProcess;
let base: string;

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'esbuild.config.mjs'), 'tools'], { stdio: 'inherit' });
  const [port, demoPort] = [await freePort(), await freePort()];
  child = spawn(process.execPath, [join(root, 'dist/tools/start.js')], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? root,
      PORT: String(port),
      DEMO_PORT: String(demoPort),
      // The run's datastore, under a prefix of this file's own.
      UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? '',
      UPSTASH_REDIS_REST_TOKEN: process.env.UPSTASH_REDIS_REST_TOKEN ?? '',
      KEY_PREFIX: `start:${randomBytes(6).toString('hex')}:`,
      LOG_LEVEL: 'ERROR',
      REFRESH_REUSE_GRACE_SECONDS: '0',
    },
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 90_000);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /Account API ready at (\S+)/.exec(output);
      if (ready?.[1]) {
        clearTimeout(timer);
        base = ready[1];
        resolve();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
}, 120_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
});

const post = async (path: string, body: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { session: { refreshToken: string }; code?: string },
  };
};

test('REFRESH_REUSE_GRACE_SECONDS=0 npm start: a spent refresh token replayed at once revokes the session', async () => {
  const registered = await post('/users', {
    name: 'Ada',
    email: `ada-${randomBytes(4).toString('hex')}@example.com`,
    password: 'correct horse battery staple',
  });
  expect(registered.status).toBe(201);
  const first = registered.body.session.refreshToken;

  const rotated = await post('/sessions/refresh', { refreshToken: first });
  expect(rotated.status).toBe(200);
  const replayed = await post('/sessions/refresh', { refreshToken: first });
  expect(replayed.status).toBe(401);

  // Strict: the replay was theft, so the successor dies with the session.
  const successor = await post('/sessions/refresh', { refreshToken: rotated.body.session.refreshToken });
  expect(successor.status).toBe(401);
  expect(successor.body.code).toBe('invalid_refresh_token');
}, 60_000);
