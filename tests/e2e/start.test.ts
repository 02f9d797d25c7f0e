// `npm start` as a user runs it (dist/tools/start.js, built here): a configuration variable set in
// its shell reaches the functions. REFRESH_REUSE_GRACE_SECONDS=0 is the visible one: a spent
// refresh token replayed at once revokes the session, where the default 10 s window would forgive it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort } from '../../dev/offline';
import { signInAtProvider } from '../../dev/provider-browser';

const root = join(__dirname, '../..');
let child: ChildProcess;
let base: string;
let banner = '';

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'esbuild.config.mjs'), 'tools'], { stdio: 'inherit' });
  const [port, demoPort, mailboxPort, oidcPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  child = spawn(process.execPath, [join(root, 'dist/tools/start.js')], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? root,
      PORT: String(port),
      DEMO_PORT: String(demoPort),
      MAILBOX_PORT: String(mailboxPort),
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

/** A JSON request from a chosen loopback address (127.0.0.0/8 is all this machine's). */
function callFrom(
  localAddress: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: { code?: string; session?: { accessToken: string } } }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

test("npm start passes the client's address through: the per-client back-off of 127.0.0.7 does not reach 127.0.0.8", async () => {
  const email = `backoff-${randomBytes(4).toString('hex')}@example.com`;
  expect(
    (await callFrom('127.0.0.9', '/users', { name: 'Ada', email, password: 'correct horse battery staple' }))
      .status,
  ).toBe(201);
  for (let i = 0; i < 5; i++)
    expect((await callFrom('127.0.0.7', '/sessions', { email, password: `wrong guess ${i}` })).status).toBe(
      401,
    );
  const locked = await callFrom('127.0.0.7', '/sessions', {
    email,
    password: 'correct horse battery staple',
  });
  expect(locked.status).toBe(429);
  expect(locked.body.code).toBe('rate_limited');
  expect(
    (await callFrom('127.0.0.8', '/sessions', { email, password: 'correct horse battery staple' })).status,
  ).toBe(200);
}, 60_000);

test('npm start, security review over HTTP: no second factor or passkey on an unproved address, no passkey for a wrong password', async () => {
  const email = `unproved-${randomBytes(4).toString('hex')}@example.com`;
  const registered = await callFrom('127.0.0.10', '/users', {
    name: 'Ada',
    email,
    password: 'correct horse battery staple',
  });
  const token = registered.body.session?.accessToken as string;
  const totp = await callFrom(
    '127.0.0.10',
    '/users/me/totp',
    { currentPassword: 'correct horse battery staple' },
    token,
  );
  expect([totp.status, totp.body.code]).toEqual([403, 'email_not_verified']);
  const options = await callFrom('127.0.0.10', '/users/me/passkeys/options', {}, token);
  expect([options.status, options.body.code]).toEqual([403, 'email_not_verified']);
  const guessed = await callFrom(
    '127.0.0.10',
    '/users/me/passkeys/options',
    { currentPassword: 'a thief guessing' },
    token,
  );
  expect([guessed.status, guessed.body.code]).toEqual([403, 'current_password_incorrect']);
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
