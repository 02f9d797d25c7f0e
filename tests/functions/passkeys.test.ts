// Passkeys through the real handlers and the real verifier (@simplewebauthn/server), answered by a
// software authenticator (dev/soft-authenticator.ts): registration, log-in, listing, deletion, and
// every way a ceremony can be wrong — each refused with passkey_invalid and nothing written.

import { SoftAuthenticator } from '../../dev/soft-authenticator';
import { verifyData } from '../../dev/verify-data';
import { PASSWORD, signUpVerified } from '../support/accounts';
import { invoke, type Response, testServices } from '../support/app';
import { restClient } from '../support/datastore';
import { createHandlers } from '../support/handlers';

const APP_URL = 'https://app.example.com';
let clock = Date.parse('2032-05-01T10:00:00.000Z');
const services = testServices({ APP_URL }, { now: () => clock });
const h = createHandlers(services);
const redis = restClient();

const expectPasskeyInvalid = (res: Response) => {
  expect(res.status).toBe(400);
  expect(res.body.code).toBe('passkey_invalid');
};

/** The user's stored passkeys and sessions, to prove a refusal wrote nothing. */
const snapshot = async (userId: string) =>
  JSON.stringify([
    await redis.hgetall(services.keys.passkeys(userId)),
    Object.keys((await redis.hgetall(services.keys.sessions(userId))) ?? {}).sort(),
  ]);

async function registrationOptions(token: string) {
  const res = await invoke(h.passkeyRegistrationOptions, {
    method: 'POST',
    path: '/users/me/passkeys/options',
    token,
  });
  expect(res.status).toBe(200);
  return res.body.options;
}

/** A new account with one passkey registered on `authenticator`. */
async function withPasskey(authenticator = new SoftAuthenticator()) {
  const account = await signUpVerified(h, services, { tag: 'passkey' });
  const options = await registrationOptions(account.token);
  const added = await invoke(h.addPasskey, {
    method: 'POST',
    path: '/users/me/passkeys',
    token: account.token,
    body: { response: authenticator.register(options, APP_URL), name: 'Laptop' },
  });
  expect(added.status).toBe(201);
  return { ...account, authenticator };
}

async function loginOptions() {
  const res = await invoke(h.passkeyLoginOptions, { method: 'POST', path: '/sessions/passkey/options' });
  expect(res.status).toBe(200);
  return res.body.options;
}

const passkeyLogin = (response: unknown) =>
  invoke(h.passkeyLogin, { method: 'POST', path: '/sessions/passkey', body: { response } });

test('registration options: relying party from APP_URL, discoverable credential, user verification required', async () => {
  const account = await signUpVerified(h, services, { tag: 'passkey' });
  const options = await registrationOptions(account.token);
  expect(options).toMatchObject({
    rp: { id: 'app.example.com', name: 'Account Service' },
    user: { id: Buffer.from(account.id).toString('base64url'), name: account.email },
    challenge: expect.stringMatching(/^[\w-]{43}$/),
    attestation: 'none',
    excludeCredentials: [],
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
});

test('register a passkey, log in with it (a session, no mfa_required), list it, delete it with the password', async () => {
  // Prepare & act: register
  const { token, id, authenticator } = await withPasskey();

  // A second registration excludes the first authenticator.
  const again = await registrationOptions(token);
  expect(again.excludeCredentials).toEqual([
    { id: authenticator.id, type: 'public-key', transports: ['internal'] },
  ]);

  // Log in with it
  clock += 60_000;
  const loggedIn = await passkeyLogin(authenticator.authenticate(await loginOptions(), APP_URL));
  expect(loggedIn.status).toBe(200);
  expect(loggedIn.body.user.id).toBe(id);
  const me = await invoke(h.getProfile, {
    method: 'GET',
    path: '/users/me',
    token: loggedIn.body.session.accessToken,
  });
  expect(me.status).toBe(200);

  // Listed, with its last use
  const listed = await invoke(h.listPasskeys, { method: 'GET', path: '/users/me/passkeys', token });
  expect(listed.body).toEqual({
    passkeys: [
      {
        id: authenticator.id,
        name: 'Laptop',
        createdAt: new Date(clock - 60_000).toISOString(),
        lastUsedAt: new Date(clock).toISOString(),
      },
    ],
  });
  const security = await invoke(h.getSecurity, { method: 'GET', path: '/users/me/security', token });
  expect(security.body.passkeys).toBe(1);

  // Deleting needs the password
  const remove = (currentPassword: string, passkeyId = authenticator.id) =>
    invoke(h.deletePasskey, {
      method: 'DELETE',
      path: `/users/me/passkeys/${passkeyId}`,
      pathParameters: { passkeyId },
      token,
      body: { currentPassword },
    });
  expect((await remove('not the password at all')).status).toBe(403);
  expect((await remove(PASSWORD, 'bm8tc3VjaC1wYXNza2V5')).status).toBe(404);
  expect((await remove(PASSWORD)).status).toBe(204);
  expectPasskeyInvalid(await passkeyLogin(authenticator.authenticate(await loginOptions(), APP_URL)));
});

describe('a wrong ceremony is refused with passkey_invalid, nothing written', () => {
  test.each<[string, (a: SoftAuthenticator, options: { challenge: string; rpId: string }) => unknown]>([
    ['a wrong origin', (a, o) => a.authenticate(o, 'https://evil.example.com')],
    ['a wrong RP ID hash', (a, o) => a.authenticate(o, APP_URL, { rpId: 'evil.example.com' })],
    ['a tampered signature', (a, o) => a.authenticate(o, APP_URL, { tamperSignature: true })],
    ['no user verification', (a, o) => a.authenticate(o, APP_URL, { userVerified: false })],
    ['a registration response instead', (a, o) => a.authenticate(o, APP_URL, { type: 'webauthn.create' })],
    [
      'a challenge the server never issued',
      (a, o) => a.authenticate(o, APP_URL, { challenge: 'A'.repeat(43) }),
    ],
    ['a counter going backwards', (a, o) => a.authenticate(o, APP_URL, { counter: 1 })],
  ])('log-in with %s', async (_, answer) => {
    const { id, authenticator } = await withPasskey();
    // One good log-in moves the counter past 1.
    expect((await passkeyLogin(authenticator.authenticate(await loginOptions(), APP_URL))).status).toBe(200);
    const before = await snapshot(id);

    expectPasskeyInvalid(await passkeyLogin(answer(authenticator, await loginOptions())));

    expect(await snapshot(id)).toBe(before);
  });

  test('a replayed log-in response', async () => {
    const { id, authenticator } = await withPasskey();
    const response = authenticator.authenticate(await loginOptions(), APP_URL);
    expect((await passkeyLogin(response)).status).toBe(200);
    const before = await snapshot(id);

    expectPasskeyInvalid(await passkeyLogin(response));
    expect(await snapshot(id)).toBe(before);
  });

  test('an expired log-in challenge (300 s)', async () => {
    const { id, authenticator } = await withPasskey();
    const options = await loginOptions();
    const before = await snapshot(id);
    // The challenge's key expires in the datastore's own time: wait it out there.
    await redis.pexpire(services.keys.webauthnLogin(options.challenge), 1);
    await new Promise((resolve) => setTimeout(resolve, 20));

    expectPasskeyInvalid(await passkeyLogin(authenticator.authenticate(options, APP_URL)));
    expect(await snapshot(id)).toBe(before);
  });

  test("a credential of another user (the user handle of someone else's account)", async () => {
    const victim = await withPasskey();
    const attacker = await withPasskey();
    const before = await snapshot(victim.id);

    const response = attacker.authenticator.authenticate(await loginOptions(), APP_URL, {
      userHandle: Buffer.from(victim.id).toString('base64url'),
    });
    expectPasskeyInvalid(await passkeyLogin(response));
    expect(await snapshot(victim.id)).toBe(before);
  });

  test('malformed responses: not a credential, garbage user handle, garbage client data', async () => {
    for (const response of [
      {},
      { id: 'x', response: { userHandle: '!!', clientDataJSON: 'e30' } },
      { id: 'abc' },
    ])
      expectPasskeyInvalid(await passkeyLogin(response));
  });

  test.each<[string, (a: SoftAuthenticator, options: never) => unknown]>([
    ['a wrong origin', (a, o) => a.register(o, 'https://evil.example.com')],
    ['a wrong RP ID hash', (a, o) => a.register(o, APP_URL, { rpId: 'evil.example.com' })],
    ['a challenge the server never issued', (a, o) => a.register(o, APP_URL, { challenge: 'A'.repeat(43) })],
    ['no user verification', (a, o) => a.register(o, APP_URL, { userVerified: false })],
  ])('registration with %s', async (_, answer) => {
    const account = await signUpVerified(h, services, { tag: 'passkey' });
    const response = answer(new SoftAuthenticator(), (await registrationOptions(account.token)) as never);
    const added = await invoke(h.addPasskey, {
      method: 'POST',
      path: '/users/me/passkeys',
      token: account.token,
      body: { response },
    });
    expectPasskeyInvalid(added);
    expect(await redis.exists(services.keys.passkeys(account.id))).toBe(0);
  });

  test('a replayed registration response, and an expired registration challenge', async () => {
    const account = await signUpVerified(h, services, { tag: 'passkey' });
    const authenticator = new SoftAuthenticator();
    const response = authenticator.register(await registrationOptions(account.token), APP_URL);
    const add = () =>
      invoke(h.addPasskey, {
        method: 'POST',
        path: '/users/me/passkeys',
        token: account.token,
        body: { response },
      });
    expect((await add()).status).toBe(201);
    expectPasskeyInvalid(await add());

    const late = new SoftAuthenticator().register(await registrationOptions(account.token), APP_URL);
    clock += 300_000;
    expectPasskeyInvalid(
      await invoke(h.addPasskey, {
        method: 'POST',
        path: '/users/me/passkeys',
        token: account.token,
        body: { response: late },
      }),
    );
    expect(Object.keys((await redis.hgetall(services.keys.passkeys(account.id))) ?? {})).toEqual([
      authenticator.id,
    ]);
  });
});

test('an authenticator without a counter (always 0) logs in again and again', async () => {
  const { authenticator } = await withPasskey(new SoftAuthenticator({ counter: 0 }));
  for (let i = 0; i < 3; i++)
    expect((await passkeyLogin(authenticator.authenticate(await loginOptions(), APP_URL))).status).toBe(200);
});

test('10 parallel log-ins with one response → exactly one session', async () => {
  const { id, authenticator } = await withPasskey();
  const response = authenticator.authenticate(await loginOptions(), APP_URL);
  const sessionsBefore = Object.keys((await redis.hgetall(services.keys.sessions(id))) ?? {}).length;

  const results = await Promise.all(Array.from({ length: 10 }, () => passkeyLogin(response)));

  expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  expect(Object.keys((await redis.hgetall(services.keys.sessions(id))) ?? {}).length).toBe(
    sessionsBefore + 1,
  );
});

test('with TOTP on, mfa_required names passkey among the methods; deleting the account removes the passkeys', async () => {
  const { token, id, email } = await withPasskey();
  const { totpCode } = await import('../../lib/mfa/totp');
  const started = await invoke(h.startTotpEnrollment, {
    method: 'POST',
    path: '/users/me/totp',
    token,
    body: { currentPassword: PASSWORD },
  });
  await invoke(h.confirmTotp, {
    method: 'POST',
    path: '/users/me/totp/confirm',
    token,
    body: { code: totpCode(started.body.secret, clock) },
  });
  const required = await invoke(h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email, password: PASSWORD },
  });
  expect(required.body.methods).toEqual(['totp', 'recovery_code', 'passkey']);

  expect(
    (
      await invoke(h.deleteAccount, {
        method: 'DELETE',
        path: '/users/me',
        token,
        body: { password: PASSWORD },
      })
    ).status,
  ).toBe(204);
  expect(
    await redis.exists(services.keys.passkeys(id), services.keys.webauthn(id), services.keys.mfa(id)),
  ).toBe(0);
  expect((await verifyData(redis, services.config.keyPrefix, clock)).problems).toEqual([]);
});
