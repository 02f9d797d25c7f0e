// GET /users/me/export and the account's own audit events (events:<uid>): every record kind is in
// it, nothing secret is; the events are appended by the scripts that make the changes and trimmed
// by them to AUDIT_RETENTION_DAYS.

import { SoftAuthenticator } from '../../dev/soft-authenticator';
import * as exportAccount from '../../functions/export-account';
import { exportTier } from '../../lib/export/services';
import { createKeys } from '../../lib/keys';
import { totpCode } from '../../lib/mfa/totp';
import { createServices } from '../../lib/services';
import { logIn, PASSWORD, signUp, signUpVerified } from '../support/accounts';
import { invoke, testConfig } from '../support/app';
import { createHandlers } from '../support/handlers';
import { recordingMailQueue } from '../support/mail';

const APP_URL = 'https://app.example';
let clock = Date.now();
const now = () => clock;

function setUp(env: Record<string, string> = {}) {
  const config = testConfig({ APP_URL, ...env });
  const services = createServices(config, { now, mailQueue: recordingMailQueue() });
  const exported = exportAccount.createHandler({ ...services, ...exportTier(services) });
  return { h: createHandlers(services), exported, services };
}

test('the export holds every record kind of the account, and no hash, secret or token', async () => {
  // Prepare: sessions, TOTP with recovery codes, a passkey, a password change.
  const { h, exported, services } = setUp();
  // Second factors and passkeys need a proved address.
  const account = await signUpVerified(h, services, { tag: 'export', userAgent: 'Export Browser 1' });
  const second = await logIn(h.login, account.email, { userAgent: 'Export Browser 2' });
  const token = account.token;
  const started = await invoke(h.startTotpEnrollment, {
    method: 'POST',
    path: '/users/me/totp',
    token,
    body: { currentPassword: PASSWORD },
  });
  const confirmed = await invoke(h.confirmTotp, {
    method: 'POST',
    path: '/users/me/totp/confirm',
    token,
    body: { code: totpCode(started.body.secret, clock) },
  });
  const authenticator = new SoftAuthenticator();
  const options = await invoke(h.passkeyRegistrationOptions, {
    method: 'POST',
    path: '/users/me/passkeys/options',
    token,
  });
  const added = await invoke(h.addPasskey, {
    method: 'POST',
    path: '/users/me/passkeys',
    token,
    body: { response: authenticator.register(options.body.options, APP_URL), name: 'Phone' },
  });
  expect(added.status).toBe(201);

  // Act
  const response = await invoke(exported, { method: 'GET', path: '/users/me/export', token });

  // Assess: the whole shape.
  expect(response.status).toBe(200);
  expect(response.headers['cache-control']).toBe('no-store');
  const body = response.body;
  expect(Object.keys(body)).toEqual(['user', 'sessions', 'identities', 'passkeys', 'security', 'events']);
  expect(body.user).toEqual(account.user);
  expect(
    body.sessions
      .map((s: { id: string; current: boolean; userAgent: string }) => [s.id, s.current, s.userAgent])
      .sort(),
  ).toEqual(
    [
      [account.session.sessionId, true, 'Export Browser 1'],
      [second.sessionId, false, 'Export Browser 2'],
    ].sort(),
  );
  expect(body.identities).toEqual([]);
  expect(body.passkeys).toEqual([added.body.passkey]);
  expect(body.security).toEqual({
    totp: { enabled: true, enabledAt: expect.any(String) },
    recoveryCodesLeft: 10,
    passkeys: 1,
  });
  expect(body.events.map((e: { event: string }) => e.event)).toEqual([
    'passkey_added',
    'totp_enabled',
    'logged_in',
    'registered',
  ]);
  expect(body.events[2]).toEqual({
    event: 'logged_in',
    method: 'password',
    userAgent: 'Export Browser 2',
    at: new Date(clock).toISOString(),
  });

  // No secret of any kind: hashes, tokens, the TOTP secret (plain or encrypted), recovery codes.
  const text = JSON.stringify(body);
  const raw = services.datastore.redis;
  const keys = createKeys(services.config.keyPrefix);
  const stored = [
    ...Object.values((await raw.hgetall<Record<string, string>>(keys.mfa(account.id))) ?? {}),
    ...((await raw.hvals(keys.sessions(account.id))) as string[]),
  ].map(String);
  for (const secret of [
    '$argon2',
    account.session.accessToken,
    account.session.refreshToken,
    second.refreshToken,
    started.body.secret,
    ...confirmed.body.recoveryCodes,
    ...stored.filter((value) => value.length > 20 && !value.startsWith('{')),
    ...stored.flatMap((value) => (value.startsWith('{') ? [JSON.parse(value).refreshHash] : [])),
  ])
    expect([secret, text.includes(secret)]).toEqual([secret, false]);
  expect(text).not.toMatch(/passwordHash|refreshHash|publicKey|"secret"/);
});

test('events older than AUDIT_RETENTION_DAYS are trimmed by the next script that appends one', async () => {
  const { h, exported } = setUp({ AUDIT_RETENTION_DAYS: '1' });
  const account = await signUp(h.register, { tag: 'export' });
  await logIn(h.login, account.email);
  clock += 2 * 86_400_000;
  const later = await logIn(h.login, account.email, { userAgent: 'Later' });

  const response = await invoke(exported, {
    method: 'GET',
    path: '/users/me/export',
    token: later.accessToken,
  });

  expect(response.body.events).toEqual([
    { event: 'logged_in', method: 'password', userAgent: 'Later', at: new Date(clock).toISOString() },
  ]);
});

test('a revoked session gets 401; no token gets 401', async () => {
  const { h, exported } = setUp();
  const account = await signUp(h.register, { tag: 'export' });
  await invoke(h.logout, { method: 'DELETE', path: '/sessions/current', token: account.token });
  const revoked = await invoke(exported, { method: 'GET', path: '/users/me/export', token: account.token });
  const none = await invoke(exported, { method: 'GET', path: '/users/me/export' });
  expect([revoked.status, revoked.body.code, none.status, none.body.code]).toEqual([
    401,
    'unauthorized',
    401,
    'unauthorized',
  ]);
});
