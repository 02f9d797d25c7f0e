// The attacks of the version 2 security review, each reproduced through the real handlers and
// asserted to fail now (README "Security"; docs/security.md). Test names say which attack.

import { SoftAuthenticator } from '../../dev/soft-authenticator';
import { createKnownDevices } from '../../lib/accounts/known-devices';
import { hashRecoveryCode, totpCode } from '../../lib/mfa/totp';
import { LOGIN_CEILING, TOTP_WRONG_CODE_CAP } from '../../lib/rate-limits';
import { createMailLinks } from '../../lib/recovery/store';
import { type Account, PASSWORD, signUp, signUpVerified } from '../support/accounts';
import { invoke, type Response, testServices } from '../support/app';
import { restClient } from '../support/datastore';
import { createHandlers } from '../support/handlers';

const APP_URL = 'https://app.example.com';
const STEP_MS = 30_000;
let clock = Date.parse('2033-01-10T09:00:15.000Z');
const services = testServices({ APP_URL }, { now: () => clock });
const h = createHandlers(services);
const redis = restClient({ automaticDeserialization: false });
const links = createMailLinks(services.datastore, services.keys, services.config.mail);
const NEW_PASSWORD = 'a brand new passphrase 4 me';

const post = (
  handler: typeof h.login,
  path: string,
  body: unknown,
  extra: { token?: string; ip?: string } = {},
) => invoke(handler, { method: 'POST', path, body, ...extra });

const expectCode = (res: Response, status: number, code: string) => {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
};

/** Turns TOTP on for a (verified) account: its secret and recovery codes. */
async function turnOnTotp(account: Account) {
  const started = await post(
    h.startTotpEnrollment,
    '/users/me/totp',
    { currentPassword: PASSWORD },
    { token: account.token },
  );
  expect(started.status).toBe(200);
  const confirmed = await post(
    h.confirmTotp,
    '/users/me/totp/confirm',
    { code: totpCode(started.body.secret, clock) },
    { token: account.token },
  );
  expect(confirmed.status).toBe(200);
  clock += STEP_MS;
  return { secret: started.body.secret as string, recoveryCodes: confirmed.body.recoveryCodes as string[] };
}

/** Registers a passkey for a (verified, freshly signed-in) account on a new software authenticator. */
async function addPasskey(account: Account, body: Record<string, unknown> = {}) {
  const options = await post(h.passkeyRegistrationOptions, '/users/me/passkeys/options', body, {
    token: account.token,
  });
  expect(options.status).toBe(200);
  const authenticator = new SoftAuthenticator();
  const added = await post(
    h.addPasskey,
    '/users/me/passkeys',
    { response: authenticator.register(options.body.options, APP_URL) },
    { token: account.token },
  );
  expect(added.status).toBe(201);
  return authenticator;
}

async function passkeyLogIn(authenticator: SoftAuthenticator, handlers = h) {
  const options = await invoke(handlers.passkeyLoginOptions, {
    method: 'POST',
    path: '/sessions/passkey/options',
  });
  return post(handlers.passkeyLogin, '/sessions/passkey', {
    response: authenticator.authenticate(options.body.options, APP_URL),
  });
}

/** As version 2 allowed: the address becomes unproved again after factors were set up on it. */
const markUnverified = (userId: string) => redis.hset(services.keys.user(userId), { emailVerified: '0' });

const mfaTokenOf = async (email: string, ip: string) => {
  const res = await post(h.login, '/sessions', { email, password: PASSWORD }, { ip });
  expectCode(res, 403, 'mfa_required');
  return res.body.mfaToken as string;
};

describe('attack 1: a reclaimed account stays in the squatter’s hands', () => {
  test("the owner's reset of an unverified account removes the squatter's passkeys, TOTP, recovery codes and ceremonies", async () => {
    // Prepare: a squatter's account with a passkey and TOTP, on an address it never proved
    const squatter = await signUpVerified(h, services, { tag: 'squatted' });
    const authenticator = await addPasskey(squatter);
    await turnOnTotp(squatter);
    await post(h.passkeyRegistrationOptions, '/users/me/passkeys/options', {}, { token: squatter.token });
    await markUnverified(squatter.id);

    // Act: the address's owner resets the password from the mailbox
    const reset = await links.issueReset(squatter.email, clock);
    const done = await post(h.confirmPasswordReset, '/password-resets/confirm', {
      token: reset?.token,
      newPassword: NEW_PASSWORD,
    });

    // Assess: the owner is signed in (no squatter's factor asked for) and nothing of the squatter's is left
    expect(done.status).toBe(200);
    expect(done.body.session).toBeDefined();
    for (const key of [
      services.keys.passkeys(squatter.id),
      services.keys.mfa(squatter.id),
      services.keys.webauthn(squatter.id),
      services.keys.mfaLogins(squatter.id),
    ])
      expect(await redis.exists(key)).toBe(0);
    expectCode(await passkeyLogIn(authenticator), 400, 'passkey_invalid');
    const login = await post(h.login, '/sessions', { email: squatter.email, password: NEW_PASSWORD });
    expect(login.status).toBe(200);
  });

  test('the first verification of an account removes factors set up before the address was proved', async () => {
    const account = await signUpVerified(h, services, { tag: 'firstproof' });
    const authenticator = await addPasskey(account);
    await markUnverified(account.id);
    const link = await links.issueVerification(account.id, clock);
    expect((await post(h.verifyEmail, '/email-verification', { token: link?.token })).status).toBe(200);
    expect(await redis.exists(services.keys.passkeys(account.id))).toBe(0);
    expectCode(await passkeyLogIn(authenticator), 400, 'passkey_invalid');
  });

  test('an unverified account cannot enroll TOTP or add a passkey: 403 email_not_verified', async () => {
    const account = await signUp(h.register, { tag: 'unproved' });
    expectCode(
      await post(
        h.startTotpEnrollment,
        '/users/me/totp',
        { currentPassword: PASSWORD },
        { token: account.token },
      ),
      403,
      'email_not_verified',
    );
    expectCode(
      await post(h.passkeyRegistrationOptions, '/users/me/passkeys/options', {}, { token: account.token }),
      403,
      'email_not_verified',
    );
    expect(await redis.exists(services.keys.mfa(account.id))).toBe(0);
    expect(await redis.exists(services.keys.webauthn(account.id))).toBe(0);
  });

  test('the passkey log-in honours REQUIRE_VERIFIED_EMAIL like the password log-in', async () => {
    const strict = testServices(
      { APP_URL, REQUIRE_VERIFIED_EMAIL: 'true', KEY_PREFIX: services.keys.prefix },
      {
        now: () => clock,
      },
    );
    const hs = createHandlers(strict);
    const account = await signUpVerified(h, services, { tag: 'strictpasskey' });
    const authenticator = await addPasskey(account);
    expect((await passkeyLogIn(authenticator, hs)).status).toBe(200);
    await markUnverified(account.id);
    expectCode(await passkeyLogIn(authenticator, hs), 403, 'email_not_verified');
  });

  test('a reset of a verified account keeps its passkeys unless removePasskeys asks', async () => {
    const account = await signUpVerified(h, services, { tag: 'keeppasskeys' });
    const authenticator = await addPasskey(account);
    const first = await links.issueReset(account.email, clock);
    expect(
      (
        await post(h.confirmPasswordReset, '/password-resets/confirm', {
          token: first?.token,
          newPassword: NEW_PASSWORD,
        })
      ).status,
    ).toBe(200);
    expect((await passkeyLogIn(authenticator)).status).toBe(200);
    const second = await links.issueReset(account.email, clock);
    expect(
      (
        await post(h.confirmPasswordReset, '/password-resets/confirm', {
          token: second?.token,
          newPassword: `${NEW_PASSWORD}!`,
          removePasskeys: true,
        })
      ).status,
    ).toBe(200);
    expectCode(await passkeyLogIn(authenticator), 400, 'passkey_invalid');
  });
});

describe('attack 2: the ceiling does not bound TOTP guessing', () => {
  test('wrong codes from fresh mfaTokens and fresh /64s stop at the account cap; then only a recovery code gets in', async () => {
    const account = await signUpVerified(h, services, { tag: 'totpcap' });
    const { secret, recoveryCodes } = await turnOnTotp(account);
    for (let i = 0; i < TOTP_WRONG_CODE_CAP.limit; i++) {
      const ip = `2001:db8:${(i + 1).toString(16)}::1`;
      expectCode(
        await post(
          h.completeMfaLogin,
          '/sessions/mfa',
          { mfaToken: await mfaTokenOf(account.email, ip), code: '000000' },
          { ip },
        ),
        401,
        'mfa_failed',
      );
    }
    // Past the cap even the right code is refused, unchecked and unspent …
    const ip = '2001:db8:ffff::1';
    const token = await mfaTokenOf(account.email, ip);
    const capped = await post(
      h.completeMfaLogin,
      '/sessions/mfa',
      { mfaToken: token, code: totpCode(secret, clock) },
      { ip },
    );
    expectCode(capped, 401, 'mfa_failed');
    expect(capped.body.detail).toMatch(/recovery code/);
    // … and a recovery code still completes the same log-in.
    expect(
      (
        await post(
          h.completeMfaLogin,
          '/sessions/mfa',
          { mfaToken: token, recoveryCode: recoveryCodes[0] },
          { ip },
        )
      ).status,
    ).toBe(200);
    // An hour later the cap is over.
    clock += TOTP_WRONG_CODE_CAP.windowMs;
    const later = await mfaTokenOf(account.email, ip);
    expect(
      (
        await post(
          h.completeMfaLogin,
          '/sessions/mfa',
          { mfaToken: later, code: totpCode(secret, clock) },
          { ip },
        )
      ).status,
    ).toBe(200);
  });

  test('a token fetched before the ceiling was reached cannot complete after it (429, its attempts unspent)', async () => {
    const account = await signUpVerified(h, services, { tag: 'totpceiling' });
    const { secret } = await turnOnTotp(account);
    const ip = '203.0.113.90';
    const token = await mfaTokenOf(account.email, ip);
    // Prepare: the account-wide ceiling reached by failures from elsewhere
    await redis.hset(services.keys.loginFailures(account.email), {
      windowStart: String(clock),
      windowCount: String(LOGIN_CEILING.limit),
    });
    for (let i = 0; i < 7; i++) {
      const res = await post(
        h.completeMfaLogin,
        '/sessions/mfa',
        { mfaToken: token, code: totpCode(secret, clock) },
        { ip },
      );
      expectCode(res, 429, 'rate_limited');
      // The ceiling's answer never names the end of its window.
      expect(res.headers['retry-after']).toBe(String(LOGIN_CEILING.windowMs / 1000));
    }
    // The ceiling lifted (as its window ends), the same token — its 5 attempts untouched by the 429s — completes.
    await redis.hset(services.keys.loginFailures(account.email), { windowCount: '0' });
    expect(
      (
        await post(
          h.completeMfaLogin,
          '/sessions/mfa',
          { mfaToken: token, code: totpCode(secret, clock) },
          { ip },
        )
      ).status,
    ).toBe(200);
  });

  test('a completed second step takes no real failure off the ceiling', async () => {
    const account = await signUpVerified(h, services, { tag: 'ceilingkeep' });
    const { secret } = await turnOnTotp(account);
    await post(
      h.login,
      '/sessions',
      { email: account.email, password: 'wrong password entirely' },
      { ip: '198.51.100.31' },
    );
    const failures = () => redis.hget(services.keys.loginFailures(account.email), 'windowCount');
    expect(await failures()).toBe('1');
    const token = await mfaTokenOf(account.email, '198.51.100.32');
    expect(await failures()).toBe('1');
    expect(
      (
        await post(
          h.completeMfaLogin,
          '/sessions/mfa',
          { mfaToken: token, code: totpCode(secret, clock) },
          { ip: '198.51.100.32' },
        )
      ).status,
    ).toBe(200);
    expect(await failures()).toBe('1');
  });
});

describe('attack 3: a bare access token registers a passkey', () => {
  test('an older session needs the current password to get passkey options (403 reauthentication_required)', async () => {
    const account = await signUpVerified(h, services, { tag: 'bearer' });
    clock += (services.config.reauthMaxAgeSeconds + 1) * 1000;
    expectCode(
      await post(h.passkeyRegistrationOptions, '/users/me/passkeys/options', {}, { token: account.token }),
      403,
      'reauthentication_required',
    );
    expectCode(
      await post(h.passkeyRegistrationOptions, '/users/me/passkeys/options', undefined, {
        token: account.token,
      }),
      403,
      'reauthentication_required',
    );
    expectCode(
      await post(
        h.passkeyRegistrationOptions,
        '/users/me/passkeys/options',
        { currentPassword: 'a guess of the thief' },
        {
          token: account.token,
        },
      ),
      403,
      'current_password_incorrect',
    );
    expect(await redis.exists(services.keys.webauthn(account.id))).toBe(0);
    await addPasskey(account, { currentPassword: PASSWORD });
  });

  test('a thief’s guesses with one stolen token lock that session only, not the owner’s other sessions', async () => {
    const account = await signUpVerified(h, services, { tag: 'reauthsession' });
    const other = await post(h.login, '/sessions', { email: account.email, password: PASSWORD });
    const guess = (token: string, currentPassword: string) =>
      invoke(h.changePassword, {
        method: 'PUT',
        path: '/users/me/password',
        token,
        body: { currentPassword, newPassword: NEW_PASSWORD },
      });
    for (let i = 0; i < 5; i++)
      expectCode(await guess(account.token, `guess number ${i}`), 403, 'current_password_incorrect');
    expectCode(await guess(account.token, 'one more guess'), 429, 'rate_limited');
    expect((await guess(other.body.session.accessToken, PASSWORD)).status).toBe(204);
  });
});

describe('attack 5: the account-wide ceiling is a cheap lock-out tool', () => {
  test('a device that signed in before is exempt from the ceiling; others get a 429 that names no window end', async () => {
    const account = await signUpVerified(h, services, { tag: 'knowndevice' });
    const first = await post(
      h.login,
      '/sessions',
      { email: account.email, password: PASSWORD },
      { ip: '198.51.100.50' },
    );
    expect(first.status).toBe(200);
    const { deviceToken } = first.body;
    expect(deviceToken).toMatch(/^kd1\./);
    await redis.hset(services.keys.loginFailures(account.email), {
      windowStart: String(clock),
      windowCount: String(LOGIN_CEILING.limit),
    });
    const stranger = await post(
      h.login,
      '/sessions',
      { email: account.email, password: PASSWORD },
      { ip: '198.51.100.51' },
    );
    expectCode(stranger, 429, 'rate_limited');
    expect(stranger.headers['retry-after']).toBe(String(LOGIN_CEILING.windowMs / 1000));
    const owner = await post(
      h.login,
      '/sessions',
      { email: account.email, password: PASSWORD, deviceToken },
      { ip: '198.51.100.50' },
    );
    expect(owner.status).toBe(200);
    // Another account's device token, or a forged one, is no exemption.
    const forged = createKnownDevices(Buffer.alloc(32, 7), () => clock).issue(account.id);
    expectCode(
      await post(
        h.login,
        '/sessions',
        { email: account.email, password: PASSWORD, deviceToken: forged },
        { ip: '198.51.100.52' },
      ),
      429,
      'rate_limited',
    );
  });
});

describe('low findings', () => {
  test('lone surrogates anywhere in a body → 400 validation_failed naming the field, never a 500', async () => {
    const res = await invoke(h.register, {
      method: 'POST',
      path: '/users',
      rawBody: `{"name":"Ada \\ud800","email":"lone@example.com","password":"${PASSWORD}"}`,
      headers: { 'content-type': 'application/json' },
    });
    expectCode(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([
      { field: 'name', message: 'must be well-formed Unicode (no lone surrogate)' },
    ]);
  });

  test('a User-Agent cut in the middle of a surrogate pair still opens a session', async () => {
    const userAgent = `${'a'.repeat(255)}😀😀`;
    const account = await signUp(h.register, { tag: 'ua', userAgent });
    const list = await invoke(h.listSessions, { method: 'GET', path: '/sessions', token: account.token });
    expect([...list.body.sessions[0].userAgent]).toHaveLength(256);
    const lone = await signUp(h.register, { tag: 'ua', userAgent: 'agent \ud83d' });
    expect(lone.session.sessionId).toMatch(/^ses_/);
  });

  test.each([
    ['Hangul filler', '\u3164'],
    ['Hangul choseong filler', '\u115f'],
    ['Hangul jungseong filler', '\u1160'],
    ['halfwidth Hangul filler', '\uffa0'],
    ['Braille blank', '\u2800'],
    ['private use', '\ue000'],
    ['unassigned', '\u0378'],
    ['only punctuation', '...'],
  ])('an invisible or empty-looking name is refused: %s', async (_, name) => {
    const res = await post(h.register, '/users', {
      name,
      email: `invisible.${clock}@example.com`,
      password: PASSWORD,
    });
    expectCode(res, 400, 'validation_failed');
    expect(res.body.errors[0].field).toBe('name');
  });

  test('TOTP confirmation: bound to the session that started it, 10 minutes, wrong codes counted', async () => {
    const account = await signUpVerified(h, services, { tag: 'confirmbound' });
    const started = await post(
      h.startTotpEnrollment,
      '/users/me/totp',
      { currentPassword: PASSWORD },
      { token: account.token },
    );
    const other = await post(h.login, '/sessions', { email: account.email, password: PASSWORD });
    const confirm = (token: string, code: string) =>
      post(h.confirmTotp, '/users/me/totp/confirm', { code }, { token });
    expectCode(
      await confirm(other.body.session.accessToken, totpCode(started.body.secret, clock)),
      409,
      'totp_not_pending',
    );
    for (let i = 0; i < 5; i++) expectCode(await confirm(account.token, '000000'), 400, 'totp_code_invalid');
    expectCode(await confirm(account.token, totpCode(started.body.secret, clock)), 429, 'rate_limited');
    clock += 11 * 60_000;
    expectCode(await confirm(account.token, totpCode(started.body.secret, clock)), 409, 'totp_not_pending');
  });

  test('recovery codes are stored peppered and per user, not as a bare SHA-256', async () => {
    const account = await signUpVerified(h, services, { tag: 'pepper' });
    const { recoveryCodes } = await turnOnTotp(account);
    const stored = JSON.parse(
      (await redis.hget(services.keys.mfa(account.id), 'codes')) as string,
    ) as string[];
    const code = recoveryCodes[0] as string;
    expect(stored).toContain(hashRecoveryCode(services.config.totpEncryptionKey, account.id, code));
    expect(stored).not.toContain(
      hashRecoveryCode(services.config.totpEncryptionKey, 'usr_someone_else_entirely', code),
    );
  });

  test('an access token whose exp − iat exceeds the configured lifetime is refused', async () => {
    const account = await signUp(h.register, { tag: 'lifetime' });
    const long = testServices(
      {
        ACCESS_TOKEN_TTL_SECONDS: String(services.config.accessTokenTtlSeconds * 10),
        KEY_PREFIX: services.keys.prefix,
      },
      { now: () => clock },
    );
    // Same key, same issuer: only the lifetime differs from what this service issues.
    const forged = await createTokensLike(long, account);
    expect((await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: forged })).status).toBe(
      401,
    );
  });
});

async function createTokensLike(other: ReturnType<typeof testServices>, account: Account): Promise<string> {
  const { createTokenService } = await import('../../lib/tokens');
  const tokens = createTokenService(services.config.jwt, other.config, () => clock);
  return (await tokens.issueAccessToken({ userId: account.id, sessionId: account.session.sessionId }))
    .accessToken;
}

describe('attack 4: an email change takes effect at once', () => {
  const patchEmail = (account: Account, email: string) =>
    invoke(h.updateProfile, {
      method: 'PATCH',
      path: '/users/me',
      token: account.token,
      body: { email, currentPassword: PASSWORD },
    });
  const logInAs = (email: string) => post(h.login, '/sessions', { email, password: PASSWORD });

  test('a proved address stays the credential until the new one is proved; then the change completes', async () => {
    const account = await signUpVerified(h, services, { tag: 'pendingold' });
    const moved = `pending.new.${clock}@example.com`;
    const changed = await patchEmail(account, moved);
    expect(changed.status).toBe(200);
    expect(changed.body.user).toMatchObject({
      email: account.email,
      emailVerified: true,
      pendingEmail: moved,
    });
    expect((await logInAs(account.email)).status).toBe(200);
    expectCode(await logInAs(moved), 401, 'invalid_credentials');
    // A reset for the old address still works while the change is pending.
    expect(await links.issueReset(account.email, clock)).not.toBeNull();

    const link = await links.issueVerification(account.id, clock);
    expect(link?.email).toBe(moved);
    const proved = await post(h.verifyEmail, '/email-verification', { token: link?.token });
    expect(proved.status).toBe(200);
    expect(proved.body.user).toMatchObject({ email: moved, emailVerified: true, pendingEmail: null });
    expect((await logInAs(moved)).status).toBe(200);
    expectCode(await logInAs(account.email), 401, 'invalid_credentials');
  });

  test('the revert link mailed to the old address restores it and revokes every session and passkey', async () => {
    const account = await signUpVerified(h, services, { tag: 'revert' });
    const authenticator = await addPasskey(account);
    const moved = `revert.new.${clock}@example.com`;
    expect((await patchEmail(account, moved)).status).toBe(200);
    const revert = await links.issueRevert(account.id, account.email, clock);
    const verify = await links.issueVerification(account.id, clock);
    expect((await post(h.verifyEmail, '/email-verification', { token: verify?.token })).status).toBe(200);

    const undone = await post(h.revertEmailChange, '/email-changes/revert', { token: revert?.token });
    expect(undone.status).toBe(200);
    expect(undone.body.user).toMatchObject({ email: account.email, emailVerified: true, pendingEmail: null });
    expect(
      (await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: account.token })).status,
    ).toBe(401);
    expectCode(await passkeyLogIn(authenticator), 400, 'passkey_invalid');
    expect((await logInAs(account.email)).status).toBe(200);
    expectCode(await logInAs(moved), 401, 'invalid_credentials');
    // Single use.
    expectCode(
      await post(h.revertEmailChange, '/email-changes/revert', { token: revert?.token }),
      400,
      'link_invalid',
    );
  });

  test('a revert before the new address is proved drops the pending change', async () => {
    const account = await signUpVerified(h, services, { tag: 'revertpending' });
    expect((await patchEmail(account, `dropped.${clock}@example.com`)).status).toBe(200);
    const revert = await links.issueRevert(account.id, account.email, clock);
    const undone = await post(h.revertEmailChange, '/email-changes/revert', { token: revert?.token });
    expect(undone.body.user).toMatchObject({ email: account.email, pendingEmail: null });
    expect(await links.issueVerification(account.id, clock)).toBeNull();
  });
});

test("the owner's reset of an unverified account removes the squatter's linked sign-ins and their index entries", async () => {
  // Prepare: a squatter's account with a social identity linked (as lib/oauth stores one)
  const squatter = await signUp(h.register, { tag: 'squatidentity' });
  const identity = {
    id: 'idn_squatter',
    provider: 'google',
    subject: `sub-${clock}`,
    email: null,
    createdAt: String(clock),
    lastUsedAt: null,
  };
  await redis.hset(services.keys.identities(squatter.id), { [identity.id]: JSON.stringify(identity) });
  await redis.hset(services.keys.identityIndex('google'), { [identity.subject]: squatter.id });

  // Act
  const reset = await links.issueReset(squatter.email, clock);
  const done = await post(h.confirmPasswordReset, '/password-resets/confirm', {
    token: reset?.token,
    newPassword: NEW_PASSWORD,
  });

  // Assess
  expect(done.status).toBe(200);
  expect(await redis.exists(services.keys.identities(squatter.id))).toBe(0);
  expect(await redis.hget(services.keys.identityIndex('google'), identity.subject)).toBeNull();
});
