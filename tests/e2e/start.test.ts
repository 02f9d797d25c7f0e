// `npm start` as a user runs it (dist/tools/start.js, built here): a configuration variable set in
// its shell reaches the functions. REFRESH_REUSE_GRACE_SECONDS=0 is the visible one: a spent
// refresh token replayed at once revokes the session, where the default 10 s window would forgive it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '../../dev/offline';
import { signInAtProvider } from '../support/provider-browser';

const root = join(__dirname, '../..');
let child: ChildProcess;
let base: string;
let banner = '';

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'esbuild.config.mjs'), 'tools'], { stdio: 'inherit' });
  const [port, demoPort, oidcPort] = [await freePort(), await freePort(), await freePort()];
  child = spawn(process.execPath, [join(root, 'dist/tools/start.js')], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? root,
      PORT: String(port),
      DEMO_PORT: String(demoPort),
      OIDC_PORT: String(oidcPort),
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
      if (ready?.[1] && /Ctrl-C stops everything/.test(output)) {
        clearTimeout(timer);
        banner = output;
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

test('npm start turns the oidc slot on with the local identity provider: a social sign-in over HTTP', async () => {
  // The banner names the provider; GET /oauth/providers lists it.
  const issuer = /Identity provider: (http:\/\/\S+)/.exec(banner)?.[1];
  expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const providers = await (await fetch(`${base}/oauth/providers`)).json();
  expect(providers).toEqual({ providers: [{ id: 'oidc', name: 'Local identity provider' }] });

  // The app's PKCE pair, start, the provider's sign-in page, the callback through the API.
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirectUri = `${banner.match(/Demo page: (\S+)/)?.[1]}/oauth-callback`;
  const started = await post('/oauth/oidc/start', { redirectUri, codeChallenge: challenge });
  expect(started.status).toBe(200);
  const email = `social-${randomBytes(4).toString('hex')}@example.com`;
  const answer = await signInAtProvider(
    (started.body as unknown as { authorizationUrl: string }).authorizationUrl,
    { email, name: 'Grace Hopper', emailVerified: true },
    base,
  );
  const callback = await fetch(`${base}/oauth/oidc/callback?${answer.params}`, { redirect: 'manual' });
  expect(callback.status).toBe(302);
  const location = callback.headers.get('location') ?? '';
  expect(location.startsWith(`${redirectUri}#code=`)).toBe(true);
  const code = new URLSearchParams(location.slice(location.indexOf('#') + 1)).get('code');

  const signedIn = await post('/sessions/oauth', { code, codeVerifier: verifier });
  expect(signedIn.status).toBe(200);
  expect(signedIn.body).toMatchObject({
    user: { email, name: 'Grace Hopper', emailVerified: true },
    created: true,
  });
  // The same code again: spent.
  const again = await post('/sessions/oauth', { code, codeVerifier: verifier });
  expect(again.status).toBe(400);
  expect(again.body.code).toBe('oauth_code_invalid');
});
