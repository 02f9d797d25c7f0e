// Second factors through the real handlers (docs/security.md, second factors), with an injected clock so
// TOTP time steps can be stepped over: enrollment, the log-in's second step, replay, drift,
// concurrency, recovery codes, turning off, and what a password reset does with a factor on.
import { randomBytes } from 'node:crypto';
import { verifyData } from '../../dev/verify-data';
import { createKeys } from '../../lib/keys';
import { totpCode } from '../../lib/mfa/totp';
import { createMailLinks } from '../../lib/recovery/store';
import { type Account, PASSWORD, signUpVerified } from '../support/accounts';
import { invoke, type Response, testServices } from '../support/app';
import { restClient } from '../support/datastore';
import { createHandlers } from '../support/handlers';
import { recordingMailQueue } from '../support/mail';

const STEP_MS = 30_000;
// The middle of a time step, so ±1 step is exactly one step either way.
let clock = Date.parse('2032-03-01T00:00:15.000Z');
const mailQueue = recordingMailQueue();
const services = testServices({}, { now: () => clock, mailQueue });
const h = createHandlers(services);
const redis = restClient({ automaticDeserialization: false });

/** Signs up and turns TOTP on; answers the account, its secret and its recovery codes. */
async function withTotp(): Promise<Account & { secret: string; recoveryCodes: string[] }> {
  const account = await signUpVerified(h, services, { tag: 'totp' });
  const started = await invoke(h.startTotpEnrollment, {
    method: 'POST',
    path: '/users/me/totp',
    token: account.token,
    body: { currentPassword: PASSWORD },
  });
  expect(started.status).toBe(200);
  const { secret } = started.body;
  const confirmed = await invoke(h.confirmTotp, {
    method: 'POST',
    path: '/users/me/totp/confirm',
    token: account.token,
    body: { code: totpCode(secret, clock) },
  });
  expect(confirmed.status).toBe(200);
  // The confirming code's step is spent: move on to a fresh one.
  clock += STEP_MS;
  return { ...account, secret, recoveryCodes: confirmed.body.recoveryCodes };
}

const logIn = (email: string, ip = '203.0.113.5') =>
  invoke(h.login, { method: 'POST', path: '/sessions', body: { email, password: PASSWORD }, ip });

/** Logs in with the password: the 403 mfa_required's token. */
async function mfaToken(email: string): Promise<string> {
  const res = await logIn(email);
  expect(res.status).toBe(403);
  expect(res.body.code).toBe('mfa_required');
  return res.body.mfaToken;
}

const secondStep = (body: Record<string, unknown>, ip = '203.0.113.5') =>
  invoke(h.completeMfaLogin, { method: 'POST', path: '/sessions/mfa', body, ip });

const expectMfaFailed = (res: Response) => {
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('mfa_failed');
};

test('enroll → confirm → log out → log in → mfa_required → code → session', async () => {
  // Prepare
  const account = await signUpVerified(h, services, { tag: 'totp' });
  const started = await invoke(h.startTotpEnrollment, {
    method: 'POST',
    path: '/users/me/totp',
    token: account.token,
    body: { currentPassword: PASSWORD },
  });
  expect(started.status).toBe(200);
  expect(started.body.secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(started.body.otpauthUri).toBe(
    `otpauth://totp/Account%20Service:${encodeURIComponent(account.email)}?issuer=Account%20Service&secret=${started.body.secret}&algorithm=SHA1&digits=6&period=30`,
  );
  // Pending: a log-in still needs only the password.
  expect((await logIn(account.email)).status).toBe(200);

  // Act: confirm with a first code; log out; log in again
  const confirmed = await invoke(h.confirmTotp, {
    method: 'POST',
    path: '/users/me/totp/confirm',
    token: account.token,
    body: { code: totpCode(started.body.secret, clock) },
  });
  expect(confirmed.status).toBe(200);
  expect(confirmed.body.recoveryCodes).toHaveLength(10);
  expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);
  for (const code of confirmed.body.recoveryCodes)
    expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
  expect(
    (await invoke(h.logout, { method: 'DELETE', path: '/sessions/current', token: account.token })).status,
  ).toBe(204);
  clock += STEP_MS;
  const required = await logIn(account.email);

  // Assess
  expect(required.status).toBe(403);
  expect(required.headers['content-type']).toBe('application/problem+json');
  expect(required.body).toEqual({
    type: 'urn:account-service:problem:mfa_required',
    title: 'Second factor required',
    status: 403,
    detail: expect.any(String),
    code: 'mfa_required',
    requestId: expect.any(String),
    mfaToken: expect.stringMatching(/^usr_[\w-]{22}\.mfa_[\w-]{22}\.[\w-]{43}$/),
    methods: ['totp', 'recovery_code'],
  });
  const done = await secondStep({
    mfaToken: required.body.mfaToken,
    code: totpCode(started.body.secret, clock),
  });
  expect(done.status).toBe(200);
  expect(done.body.user.email).toBe(account.email);
  const me = await invoke(h.getProfile, {
    method: 'GET',
    path: '/users/me',
    token: done.body.session.accessToken,
  });
  expect(me.status).toBe(200);
  // The token is single use.
  expectMfaFailed(
    await secondStep({ mfaToken: required.body.mfaToken, code: totpCode(started.body.secret, clock) }),
  );
});

test('a code is accepted once: the same code on a second log-in is refused', async () => {
  const account = await withTotp();
  const code = totpCode(account.secret, clock);
  expect((await secondStep({ mfaToken: await mfaToken(account.email), code })).status).toBe(200);
  expectMfaFailed(await secondStep({ mfaToken: await mfaToken(account.email), code }));
});

test('±1 step of drift is accepted; two steps away is refused', async () => {
  const account = await withTotp();
  // A code of the previous step and of the next (each step once, in increasing order), well after
  // the step the enrollment was confirmed with.
  clock += 2 * STEP_MS;
  const at = clock;
  expect(
    (
      await secondStep({
        mfaToken: await mfaToken(account.email),
        code: totpCode(account.secret, at - STEP_MS),
      })
    ).status,
  ).toBe(200);
  expect(
    (
      await secondStep({
        mfaToken: await mfaToken(account.email),
        code: totpCode(account.secret, at + STEP_MS),
      })
    ).status,
  ).toBe(200);
  clock += 10 * STEP_MS;
  expectMfaFailed(
    await secondStep({
      mfaToken: await mfaToken(account.email),
      code: totpCode(account.secret, clock - 2 * STEP_MS),
    }),
  );
  expectMfaFailed(
    await secondStep({
      mfaToken: await mfaToken(account.email),
      code: totpCode(account.secret, clock + 2 * STEP_MS),
    }),
  );
});

test('10 parallel second steps with one valid code → exactly one 200', async () => {
  const account = await withTotp();
  const token = await mfaToken(account.email);
  const code = totpCode(account.secret, clock);

  const results = await Promise.all(Array.from({ length: 10 }, () => secondStep({ mfaToken: token, code })));

  expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  for (const r of results.filter((r) => r.status !== 200)) expectMfaFailed(r);
});

test('10 parallel log-ins, each with its own token, racing one code → exactly one 200 (the step is spent once)', async () => {
  const account = await withTotp();
  const tokens: string[] = [];
  // From ten addresses: a right password waiting for its factor stays counted on its client's back-off.
  for (let i = 0; i < 10; i++) tokens.push((await logIn(account.email, `192.0.2.${10 + i}`)).body.mfaToken);
  const code = totpCode(account.secret, clock);

  const results = await Promise.all(tokens.map((token) => secondStep({ mfaToken: token, code })));

  expect(results.filter((r) => r.status === 200)).toHaveLength(1);
});

test('a recovery code works once, in any case and with or without dashes', async () => {
  const account = await withTotp();
  const [first] = account.recoveryCodes as [string];
  const shouted = first.toUpperCase().replaceAll('-', ' ');

  const used = await secondStep({ mfaToken: await mfaToken(account.email), recoveryCode: shouted });
  expect(used.status).toBe(200);
  expectMfaFailed(await secondStep({ mfaToken: await mfaToken(account.email), recoveryCode: first }));

  const security = await invoke(h.getSecurity, {
    method: 'GET',
    path: '/users/me/security',
    token: account.token,
  });
  expect(security.body).toEqual({
    totp: { enabled: true, enabledAt: expect.any(String) },
    recoveryCodesLeft: 9,
    passkeys: 0,
  });
});

test('5 wrong codes kill the mfaToken: the right code after them is refused', async () => {
  const account = await withTotp();
  const token = await mfaToken(account.email);
  for (let i = 0; i < 5; i++) {
    expectMfaFailed(await secondStep({ mfaToken: token, code: '000000' }));
    // Past the client's back-off, which the wrong codes drive too (its own test is below).
    clock += 10_000;
  }

  expectMfaFailed(await secondStep({ mfaToken: token, code: totpCode(account.secret, clock) }));
  // A new log-in gets a new token, and the right code works.
  clock += 10 * 60_000;
  expect(
    (await secondStep({ mfaToken: await mfaToken(account.email), code: totpCode(account.secret, clock) }))
      .status,
  ).toBe(200);
});

test('wrong codes count towards the log-in back-off of the client they come from, across log-ins', async () => {
  const account = await withTotp();
  const ip = '198.51.100.77';
  const first = (await logIn(account.email, ip)).body.mfaToken;
  const second = (await logIn(account.email, ip)).body.mfaToken;
  for (let i = 0; i < 5; i++) expectMfaFailed(await secondStep({ mfaToken: first, code: '000000' }, ip));

  // The 5th failure locks that client out of log-in, and out of the second step of its other log-in.
  expect((await logIn(account.email, ip)).status).toBe(429);
  const waiting = await secondStep({ mfaToken: second, code: totpCode(account.secret, clock) }, ip);
  expect(waiting.status).toBe(429);
  expect(waiting.headers['retry-after']).toBe('1');
  // Elsewhere, the owner is not locked out.
  expect((await logIn(account.email, '192.0.2.200')).status).toBe(403);
  // Once the lock has run out, the right code completes the waiting log-in (nothing was spent).
  clock += 1000;
  expect((await secondStep({ mfaToken: second, code: totpCode(account.secret, clock) }, ip)).status).toBe(
    200,
  );
});

test('an mfaToken lives 300 s', async () => {
  const account = await withTotp();
  const token = await mfaToken(account.email);
  clock += 300_000;
  expectMfaFailed(await secondStep({ mfaToken: token, code: totpCode(account.secret, clock) }));
});

test('forged, truncated and foreign mfaTokens → 401 mfa_failed; neither or both factors → 400', async () => {
  const account = await withTotp();
  const token = await mfaToken(account.email);
  const code = totpCode(account.secret, clock);
  const [user, login] = token.split('.') as [string, string];
  for (const forged of [
    `${user}.${login}.${randomBytes(32).toString('base64url')}`,
    token.slice(0, -1),
    'not-a-token',
    `usr_${'A'.repeat(22)}.${login}.${token.split('.')[2]}`,
  ])
    expectMfaFailed(await secondStep({ mfaToken: forged, code }));
  expect((await secondStep({ mfaToken: token })).status).toBe(400);
  expect((await secondStep({ mfaToken: token, code, recoveryCode: 'abcd-efgh-ijkm' })).status).toBe(400);
  // None of that spent the token.
  expect((await secondStep({ mfaToken: token, code })).status).toBe(200);
});

test('turning TOTP off needs the password and a current code: a stolen access token (or password) alone cannot', async () => {
  const account = await withTotp();
  const off = (body: unknown) =>
    invoke(h.disableTotp, { method: 'DELETE', path: '/users/me/totp', token: account.token, body });

  expect(
    (await off({ currentPassword: 'not the password at all', recoveryCode: account.recoveryCodes[1] }))
      .status,
  ).toBe(403);
  expect((await off({})).status).toBe(400);
  const passwordOnly = await off({ currentPassword: PASSWORD });
  expect(passwordOnly.status).toBe(400);
  expect(passwordOnly.body.code).toBe('totp_code_invalid');
  const wrongCode = await off({ currentPassword: PASSWORD, code: '000000' });
  expect(wrongCode.body.code).toBe('totp_code_invalid');
  expect((await logIn(account.email)).status).toBe(403);

  expect((await off({ currentPassword: PASSWORD, recoveryCode: account.recoveryCodes[1] })).status).toBe(204);
  expect((await logIn(account.email)).status).toBe(200);
  const security = await invoke(h.getSecurity, {
    method: 'GET',
    path: '/users/me/security',
    token: account.token,
  });
  expect(security.body).toEqual({
    totp: { enabled: false, enabledAt: null },
    recoveryCodesLeft: 0,
    passkeys: 0,
  });
  const again = await off({ currentPassword: PASSWORD });
  expect(again.status).toBe(404);
  expect(again.body.code).toBe('not_found');
});

test('enrolling twice → 409 totp_already_enabled; confirming with nothing pending → 409; a wrong first code → 400', async () => {
  const account = await signUpVerified(h, services, { tag: 'totp' });
  const confirm = (code: string) =>
    invoke(h.confirmTotp, {
      method: 'POST',
      path: '/users/me/totp/confirm',
      token: account.token,
      body: { code },
    });
  const nothing = await confirm('123456');
  expect(nothing.status).toBe(409);
  expect(nothing.body.code).toBe('totp_not_pending');

  const start = () =>
    invoke(h.startTotpEnrollment, {
      method: 'POST',
      path: '/users/me/totp',
      token: account.token,
      body: { currentPassword: PASSWORD },
    });
  const { secret } = (await start()).body;
  const wrong = await confirm(totpCode(secret, clock + 5 * STEP_MS));
  expect(wrong.status).toBe(400);
  expect(wrong.body.code).toBe('totp_code_invalid');
  expect((await confirm(totpCode(secret, clock))).status).toBe(200);
  const twice = await start();
  expect(twice.status).toBe(409);
  expect(twice.body.code).toBe('totp_already_enabled');
});

test('new recovery codes need the password and a current code, and kill the old set', async () => {
  const account = await withTotp();
  const renew = (currentPassword: string, factor: Record<string, string> = {}) =>
    invoke(h.renewRecoveryCodes, {
      method: 'POST',
      path: '/users/me/recovery-codes',
      token: account.token,
      body: { currentPassword, ...factor },
    });
  expect(
    (await renew('not the password at all', { recoveryCode: account.recoveryCodes[1] as string })).status,
  ).toBe(403);
  expect((await renew(PASSWORD)).body.code).toBe('totp_code_invalid');
  const renewed = await renew(PASSWORD, { code: totpCode(account.secret, clock) });
  expect(renewed.status).toBe(200);
  expect(renewed.body.recoveryCodes).toHaveLength(10);

  expectMfaFailed(
    await secondStep({ mfaToken: await mfaToken(account.email), recoveryCode: account.recoveryCodes[0] }),
  );
  expect(
    (
      await secondStep({
        mfaToken: await mfaToken(account.email),
        recoveryCode: renewed.body.recoveryCodes[0],
      })
    ).status,
  ).toBe(200);
});

test('the secret is stored encrypted and never answered again', async () => {
  const account = await withTotp();
  const stored = await restClient().hgetall<Record<string, string>>(services.keys.mfa(account.id));
  expect(JSON.stringify(stored)).not.toContain(account.secret);
  expect(stored?.secret).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  for (const code of account.recoveryCodes) expect(JSON.stringify(stored)).not.toContain(code);
  const security = await invoke(h.getSecurity, {
    method: 'GET',
    path: '/users/me/security',
    token: account.token,
  });
  expect(JSON.stringify(security.body)).not.toContain(account.secret);
});

test('a password reset on an account with TOTP opens no session', async () => {
  const account = await withTotp();
  const issued = await createMailLinks(services.datastore, services.keys, services.config.mail).issueReset(
    account.email,
    clock,
  );
  const reset = await invoke(h.confirmPasswordReset, {
    method: 'POST',
    path: '/password-resets/confirm',
    body: { token: issued?.token, newPassword: 'a brand new passphrase 9' },
  });
  expect(reset.status).toBe(200);
  expect(reset.body).toEqual({ user: expect.objectContaining({ email: account.email }) });
  // The new password still needs the second factor.
  const required = await invoke(h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email: account.email, password: 'a brand new passphrase 9' },
  });
  expect(required.status).toBe(403);
  expect(required.body.code).toBe('mfa_required');
});

test('deleting the account deletes the factor, its codes and waiting log-ins in the same change', async () => {
  const account = await withTotp();
  await mfaToken(account.email);
  const keys = createKeys(services.config.keyPrefix);
  expect(await redis.exists(keys.mfa(account.id), keys.mfaLogins(account.id))).toBe(2);

  const deleted = await invoke(h.deleteAccount, {
    method: 'DELETE',
    path: '/users/me',
    token: account.token,
    body: { password: PASSWORD },
  });

  expect(deleted.status).toBe(204);
  expect(await redis.exists(keys.mfa(account.id), keys.mfaLogins(account.id))).toBe(0);
  expect((await verifyData(redis, services.config.keyPrefix, clock)).problems).toEqual([]);
});
