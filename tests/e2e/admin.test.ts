// The operators' commands through `npm run admin` against a running local twin (serverless offline
// on the built bundles, its Lambda API on a port of this file's own): each prints one JSON object,
// and what it does is seen over HTTP — a disabled account is refused at every door with 403
// account_disabled, its old access token included, until enabled.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SoftAuthenticator } from '../../dev/soft-authenticator';
import { totpCode } from '../../lib/mfa/totp';
import { PASSWORD } from '../support/accounts';
import { mailedLinkToken } from '../support/mail';
import { startTestApi } from '../support/offline';

const root = join(__dirname, '../..');
const run = promisify(execFile);
let api: Awaited<ReturnType<typeof startTestApi>>;

beforeAll(async () => {
  api = await startTestApi('admin', { RATE_LIMIT_LOGIN_PER_IP: '1000/300' });
  // `npm run admin` builds the CLI (dist/tools/admin.js) and runs it: once here, by npm itself.
  const { stdout } = await run('npm', ['run', '--silent', 'admin', '--', '--help'], { cwd: root });
  expect(stdout).toBe('');
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

/** `npm run admin -- <args>` (the script npm runs, after its build): exit status and the printed JSON. */
async function admin(...args: string[]) {
  const result = await run(process.execPath, [join(root, 'dist/tools/admin.js'), ...args], {
    cwd: root,
    env: { ...process.env, ADMIN_LAMBDA_ENDPOINT: api.lambdaUrl },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  return { code: result.code, output: JSON.parse(result.stdout) };
}

async function call(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const response = await fetch(`${api.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any };
}

const newEmail = () => `admin.${randomBytes(5).toString('hex')}@example.com`;

test('disable refuses every door with 403 account_disabled and kills the sessions; enable opens them again', async () => {
  // Prepare: an account with a passkey, a refresh token, an access token, and a log-in waiting
  // for its second factor (TOTP on).
  const email = newEmail();
  const registered = await call('/users', {
    method: 'POST',
    body: { name: 'Ada', email, password: PASSWORD },
  });
  expect(registered.status).toBe(201);
  const { accessToken, refreshToken } = registered.body.session;
  // Passkeys need a proved address: the mailed link, followed as its owner would.
  const proved = await call('/email-verification', {
    method: 'POST',
    body: { token: await mailedLinkToken(api.mailbox, registered.body.user.email, 'verify-email') },
  });
  expect(proved.status).toBe(200);
  const origin = 'http://localhost:5173';
  const authenticator = new SoftAuthenticator();
  const creation = await call('/users/me/passkeys/options', { method: 'POST', token: accessToken });
  const added = await call('/users/me/passkeys', {
    method: 'POST',
    token: accessToken,
    body: { response: authenticator.register(creation.body.options, origin) },
  });
  expect(added.status).toBe(201);
  const started = await call('/users/me/totp', {
    method: 'POST',
    token: accessToken,
    body: { currentPassword: PASSWORD },
  });
  const confirmed = await call('/users/me/totp/confirm', {
    method: 'POST',
    token: accessToken,
    body: { code: totpCode(started.body.secret, Date.now()) },
  });
  expect(confirmed.status).toBe(200);
  const waiting = await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } });
  expect(waiting.body.code).toBe('mfa_required');

  // Act
  const disabled = await admin('disable', email, '--reason', 'chargeback #4411');

  // Assess: the command's answer, then every door.
  expect(disabled).toEqual({
    code: 0,
    output: {
      ok: true,
      command: 'disable',
      userId: registered.body.user.id,
      disabled: true,
      alreadyDisabled: false,
      revokedSessions: 1,
    },
  });
  const refused = [
    await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } }),
    await call('/sessions/refresh', { method: 'POST', body: { refreshToken } }),
    await call('/users/me', { token: accessToken }),
    await call('/sessions', { token: accessToken }),
    await call('/sessions/mfa', {
      method: 'POST',
      body: { mfaToken: waiting.body.mfaToken, recoveryCode: confirmed.body.recoveryCodes[0] },
    }),
    await call('/sessions/passkey', {
      method: 'POST',
      body: {
        response: authenticator.authenticate(
          (await call('/sessions/passkey/options', { method: 'POST' })).body.options,
          origin,
        ),
      },
    }),
  ];
  expect(refused.map((r) => [r.status, r.body.code])).toEqual(Array(6).fill([403, 'account_disabled']));
  // A wrong password still answers as any wrong password: being disabled is told only to the owner.
  const guess = await call('/sessions', {
    method: 'POST',
    body: { email, password: 'not the password at all' },
  });
  expect([guess.status, guess.body.code]).toEqual([401, 'invalid_credentials']);
  const found = await admin('find', email);
  expect(found.output.account.disabled).toEqual({ at: expect.any(String), reason: 'chargeback #4411' });

  // Act: enable
  const enabled = await admin('enable', registered.body.user.id);

  // Assess: a log-in works again (the old sessions stay dead).
  expect(enabled.output).toEqual({
    ok: true,
    command: 'enable',
    userId: registered.body.user.id,
    disabled: false,
    wasDisabled: true,
  });
  expect((await call('/users/me', { token: accessToken })).status).toBe(401);
  const again = await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } });
  expect([again.status, again.body.code]).toEqual([403, 'mfa_required']);
  const viaPasskey = await call('/sessions/passkey', {
    method: 'POST',
    body: {
      response: authenticator.authenticate(
        (await call('/sessions/passkey/options', { method: 'POST' })).body.options,
        origin,
      ),
    },
  });
  expect(viaPasskey.status).toBe(200);
}, 120_000);

test('unlock clears a log-in back-off; find prints no hash; revoke-sessions, export and delete act at once', async () => {
  const email = newEmail();
  const registered = await call('/users', {
    method: 'POST',
    body: { name: 'Bob', email, password: PASSWORD },
  });
  for (let i = 0; i < 6; i += 1)
    await call('/sessions', { method: 'POST', body: { email, password: 'wrong password, many times' } });
  const locked = await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } });
  expect([locked.status, locked.body.code]).toEqual([429, 'rate_limited']);

  const unlocked = await admin('unlock', email);
  expect(unlocked.output).toMatchObject({ ok: true, command: 'unlock', unlocked: true });
  const loggedIn = await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } });
  expect(loggedIn.status).toBe(200);

  const found = await admin('find', email.toUpperCase());
  expect(found).toEqual({
    code: 0,
    output: {
      ok: true,
      command: 'find',
      account: {
        user: registered.body.user,
        disabled: null,
        liveSessions: 2,
        totpEnabled: false,
        passkeys: 0,
      },
    },
  });
  expect(JSON.stringify(found.output)).not.toMatch(/\$argon2|passwordHash|refreshHash/);

  const revoked = await admin('revoke-sessions', email);
  expect(revoked.output).toEqual({
    ok: true,
    command: 'revoke-sessions',
    userId: registered.body.user.id,
    revokedSessions: 2,
  });
  expect((await call('/users/me', { token: loggedIn.body.session.accessToken })).status).toBe(401);

  const exported = await admin('export', email);
  expect(exported.output.export.user).toEqual(registered.body.user);
  expect(exported.output.export.events.map((e: { event: string }) => e.event)).toContain('sessions_revoked');

  const deleted = await admin('delete', email);
  expect(deleted.output).toMatchObject({ ok: true, command: 'delete', deleted: true });
  expect((await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } })).status).toBe(401);
  expect(await admin('find', email)).toEqual({
    code: 1,
    output: {
      ok: false,
      command: 'find',
      error: { code: 'not_found', message: 'No account has this email or user id.' },
    },
  });
}, 120_000);
