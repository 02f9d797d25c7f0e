// Social log-in through the real handlers against the local identity provider (dev/identity-provider.ts,
// oidc-provider on a loopback port): the flow, every security check, the linking rules, races,
// passwordless accounts. Only the provider's token endpoint is ever faulted (its test hooks).
import { createHash, generateKeyPairSync } from 'node:crypto';
import { decodeJwt, importJWK, SignJWT } from 'jose';
import type { LocalIdentityProvider } from '../../dev/identity-provider';
import { verifyData } from '../../dev/verify-data';
import { totpCode } from '../../lib/mfa/totp';
import { createMailLinks } from '../../lib/recovery/store';
import { PASSWORD, proveEmail, signUp, uniqueEmail } from '../support/accounts';
import { invoke, type Response } from '../support/app';
import { restClient } from '../support/datastore';
import {
  deliver,
  fragmentOf,
  oauthHandlers,
  pkce,
  REDIRECT_URI,
  signInAtProvider,
  start,
  startTwin,
  twinEnv,
} from '../support/oauth';

let twin: LocalIdentityProvider;
let clock = Date.now();
let app: ReturnType<typeof oauthHandlers>;
let h: ReturnType<typeof oauthHandlers>['h'];
const redis = restClient();

beforeAll(async () => {
  twin = await startTwin();
  app = oauthHandlers(twinEnv(twin), { now: () => clock });
  ({ h } = app);
});
afterAll(async () => {
  await twin?.close();
});
afterEach(() => {
  twin.faults.tamper = undefined;
  twin.faults.hang = false;
  clock = Date.now();
});

type Who = { email: string; name: string; emailVerified: boolean; subject?: string };
const verified = (email = uniqueEmail('social'), name = 'Ada Lovelace'): Who => ({
  email,
  name,
  emailVerified: true,
});

/** Start and the provider's page: the answer the browser brings back, and the app's verifier. */
async function atProvider(provider: string, who: Who | 'cancel', token?: string) {
  const { verifier, challenge } = pkce();
  const url = await start(h.start, provider, challenge, token);
  return { answer: await signInAtProvider(url, who), verifier, url };
}

/** A whole sign-in up to the app's callback page: the fragment and the verifier. */
async function socialSignIn(provider: string, who: Who | 'cancel', token?: string) {
  const { answer, verifier } = await atProvider(provider, who, token);
  return { fragment: fragmentOf(await deliver(h, answer)), verifier };
}

const redeem = (code: string, codeVerifier: string) =>
  invoke(h.signIn, { method: 'POST', path: '/sessions/oauth', body: { code, codeVerifier } });

/** A whole sign-in, redeemed: expects 200. */
async function signedIn(provider: string, who: Who) {
  const { fragment, verifier } = await socialSignIn(provider, who);
  expect(fragment.code).toMatch(/^usr_[\w-]{22}\.[\w-]{43}$/);
  const res = await redeem(fragment.code as string, verifier);
  expect(res.status).toBe(200);
  return res.body as {
    user: { id: string; email: string; emailVerified: boolean; name: string };
    session: { accessToken: string };
    created: boolean;
  };
}

const listIdentities = (token: string) =>
  invoke(h.identities, { method: 'GET', path: '/users/me/identities', token });

/** Every key of a user and of an email: to prove that a refusal changed nothing. */
const snapshot = async (userId: string, email: string) =>
  JSON.stringify(
    await Promise.all(
      [
        app.services.keys.user(userId),
        app.services.keys.email(email),
        app.services.keys.sessions(userId),
        app.services.keys.identities(userId),
      ].map((key) => redis.hgetall(key)),
    ),
  );

describe('the flow', () => {
  test('GET /oauth/providers lists the providers that are on, in order', async () => {
    const res = await invoke(h.providers, { method: 'GET', path: '/oauth/providers' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      providers: [
        { id: 'google', name: 'Google' },
        { id: 'apple', name: 'Apple' },
        { id: 'oidc', name: 'Local identity provider' },
      ],
    });
  });

  test('a new identity creates an account; the same subject again signs in to it; created tells them apart', async () => {
    const who = verified();
    const one = await signedIn('oidc', who);
    expect(one).toMatchObject({
      user: { email: who.email, name: 'Ada Lovelace', emailVerified: true },
      created: true,
    });
    const two = await signedIn('oidc', who);
    expect(two.created).toBe(false);
    expect(two.user.id).toBe(one.user.id);
    const me = await invoke(h.getProfile, {
      method: 'GET',
      path: '/users/me',
      token: two.session.accessToken,
    });
    expect(me.body.user.id).toBe(one.user.id);
    const identities = await listIdentities(two.session.accessToken);
    expect(identities.body).toEqual({
      identities: [
        {
          id: expect.stringMatching(/^idn_/),
          provider: 'oidc',
          email: who.email,
          createdAt: expect.any(String),
          lastUsedAt: expect.any(String),
        },
      ],
      hasPassword: false,
    });
  });

  test('google is OpenID Connect by discovery too; the name falls back to the email’s local part', async () => {
    const email = uniqueEmail('nameless');
    const res = await signedIn('google', { email, name: '', emailVerified: true });
    expect(res.user.name).toBe(email.split('@')[0]);
  });

  test('the service sends S256, a nonce and a state, and the verifier that matches its challenge', async () => {
    twin.requests.length = 0;
    await signedIn('oidc', verified());
    const authorize = twin.requests.find((r) => r.path === '/auth');
    const token = twin.requests.find((r) => r.path === '/token');
    expect(authorize?.params).toMatchObject({
      response_type: 'code',
      client_id: 'local-oidc',
      redirect_uri: 'http://localhost:3999/oauth/oidc/callback',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.stringMatching(/^[\w-]{43}$/),
    });
    expect(token?.params.code_verifier).toMatch(/^[\w-]{43}$/);
    expect(
      createHash('sha256')
        .update(token?.params.code_verifier as string)
        .digest('base64url'),
    ).toBe(authorize?.params.code_challenge);
    // The state and the nonce are stored server-side, hashed: no key names them.
    const keys = await redis.keys(`${app.services.keys.prefix}oauth-state:*`);
    expect(keys.join()).not.toContain(authorize?.params.state as string);
  });

  test('tokens never travel in a URL: the callback answers a one-time code in the fragment', async () => {
    const { answer } = await atProvider('oidc', verified());
    const res = await deliver(h, answer);
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(new RegExp(`^${REDIRECT_URI}#code=usr_[\\w-]{22}\\.[\\w-]{43}$`));
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('answers that do not verify: #error=oauth_failed, nothing created', () => {
  const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  /** Rewrites the ID token's claims and signs it again with `key` (the provider's own by default). */
  const forge =
    (change: (claims: Record<string, unknown>) => void, key?: 'foreign') =>
    async (body: Record<string, unknown>) => {
      const claims = decodeJwt(body.id_token as string) as Record<string, unknown>;
      change(claims);
      const signingKey = key ? foreignKey : await importJWK(twin.signingKey, 'RS256');
      return {
        ...body,
        id_token: await new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: 'local-1' })
          .sign(signingKey),
      };
    };

  test.each([
    [
      'a wrong nonce',
      forge((c) => {
        c.nonce = 'not-the-nonce';
      }),
    ],
    [
      'a wrong audience',
      forge((c) => {
        c.aud = 'someone-else';
      }),
    ],
    [
      'a wrong issuer',
      forge((c) => {
        c.iss = 'https://evil.example';
      }),
    ],
    [
      'an expired token',
      forge((c) => {
        c.exp = Math.floor(Date.now() / 1000) - 600;
      }),
    ],
    ['a signature by another key', forge(() => undefined, 'foreign')],
  ])('%s', async (_, tamper) => {
    const who = verified();
    twin.faults.tamper = tamper;
    const { fragment } = await socialSignIn('oidc', who);
    expect(fragment).toEqual({ error: 'oauth_failed' });
    expect(await redis.exists(app.services.keys.email(who.email))).toBe(0);
  });

  test('the same token untampered (re-signed by the provider’s key) passes: the checks above are what failed', async () => {
    twin.faults.tamper = forge(() => undefined);
    const res = await signedIn('oidc', verified());
    expect(res.created).toBe(true);
  });

  test('a provider that says access_denied → #error=access_denied', async () => {
    const { fragment } = await socialSignIn('oidc', 'cancel');
    expect(fragment).toEqual({ error: 'access_denied' });
  });

  test('a provider that hangs → #error=oauth_failed once OAUTH_TIMEOUT_MS is over, never a 5xx', async () => {
    twin.faults.hang = true;
    const { fragment } = await socialSignIn('oidc', verified());
    expect(fragment).toEqual({ error: 'oauth_failed' });
  });
});

describe('state and one-time code', () => {
  test('an unknown state → 400 oauth_state_invalid, a problem and no redirect', async () => {
    const res = await deliver(h, {
      method: 'GET',
      provider: 'oidc',
      params: new URLSearchParams({ state: 'x'.repeat(43), code: 'y' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.code).toBe('oauth_state_invalid');
    expect(res.headers.location).toBeUndefined();
  });

  test('a spent state → 400 oauth_state_invalid', async () => {
    const { answer } = await atProvider('oidc', verified());
    expect((await deliver(h, answer)).status).toBe(302);
    const again = await deliver(h, answer);
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('oauth_state_invalid');
  });

  test('an expired state (older than OAUTH_STATE_TTL_SECONDS) → 400 oauth_state_invalid', async () => {
    const { answer } = await atProvider('oidc', verified());
    clock += 601_000;
    const res = await deliver(h, answer);
    expect(res.body.code).toBe('oauth_state_invalid');
  });

  test('a state used at another provider’s callback → 400 oauth_state_invalid', async () => {
    const { answer } = await atProvider('oidc', verified());
    const res = await deliver(h, { ...answer, provider: 'google' });
    expect(res.body.code).toBe('oauth_state_invalid');
  });

  test('10 parallel callbacks with one state: exactly one proceeds', async () => {
    const { answer } = await atProvider('oidc', verified());
    const results = await Promise.all(Array.from({ length: 10 }, () => deliver(h, answer)));
    expect(results.filter((r) => r.status === 302)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400 && r.body.code === 'oauth_state_invalid')).toHaveLength(9);
  });

  test('a code used twice, or with the wrong verifier → 400 oauth_code_invalid (a wrong verifier spends it)', async () => {
    const first = await socialSignIn('oidc', verified());
    expect((await redeem(first.fragment.code as string, first.verifier)).status).toBe(200);
    const twice = await redeem(first.fragment.code as string, first.verifier);
    expect(twice.status).toBe(400);
    expect(twice.body.code).toBe('oauth_code_invalid');

    const second = await socialSignIn('oidc', verified());
    const wrong = await redeem(second.fragment.code as string, pkce().verifier);
    expect(wrong.body.code).toBe('oauth_code_invalid');
    const right = await redeem(second.fragment.code as string, second.verifier);
    expect(right.body.code).toBe('oauth_code_invalid');
  });

  test('a code older than 60 s → 400 oauth_code_invalid', async () => {
    const { fragment, verifier } = await socialSignIn('oidc', verified());
    clock += 61_000;
    expect((await redeem(fragment.code as string, verifier)).body.code).toBe('oauth_code_invalid');
  });

  test('10 parallel exchanges of one code: exactly one 200', async () => {
    const { fragment, verifier } = await socialSignIn('oidc', verified());
    const results = await Promise.all(
      Array.from({ length: 10 }, () => redeem(fragment.code as string, verifier)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.body?.code === 'oauth_code_invalid')).toHaveLength(9);
  });
});

describe('who signs in: the contract’s linking rules', () => {
  /** A registered account whose email was verified through the mailed link. */
  async function verifiedAccount() {
    const account = await signUp(h.register, { tag: 'verified' });
    const mail = await invoke(h.resendVerification, {
      method: 'POST',
      path: '/users/me/email-verification',
      token: account.token,
    });
    expect([202, 409]).toContain(mail.status);
    const verifiedUser = await app.services.datastore.redis.hset(app.services.keys.user(account.id), {
      emailVerified: '1',
    });
    expect(verifiedUser).toBe(0);
    return account;
  }

  test('a verified account with that email: the identity is linked to it and signs in', async () => {
    const account = await verifiedAccount();
    const res = await signedIn('oidc', verified(account.email));
    expect(res.user.id).toBe(account.id);
    expect(res.created).toBe(false);
    // The password still works, and the account lists both ways in.
    const list = await listIdentities(res.session.accessToken);
    expect(list.body.hasPassword).toBe(true);
    expect(list.body.identities).toHaveLength(1);
    const login = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: account.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
  });

  test('an unverified account with that email is reclaimed: its password stops working, its sessions die', async () => {
    const squatter = await signUp(h.register, { tag: 'squatter' });
    const res = await signedIn('oidc', verified(squatter.email, 'The Owner'));
    expect(res.user).toMatchObject({
      id: squatter.id,
      email: squatter.email,
      emailVerified: true,
      name: 'The Owner',
    });
    expect(res.created).toBe(false);
    const old = await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: squatter.token });
    expect(old.status).toBe(401);
    const refresh = await invoke(h.refreshSession, {
      method: 'POST',
      path: '/sessions/refresh',
      body: { refreshToken: squatter.session.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const login = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: squatter.email, password: PASSWORD },
    });
    expect(login.status).toBe(401);
    expect(login.body.code).toBe('invalid_credentials');
    expect((await listIdentities(res.session.accessToken)).body.hasPassword).toBe(false);
  });

  test('the reclaim also removes the squatter’s second factor, passkeys and identities', async () => {
    const squatter = await signUp(h.register, { tag: 'squatter' });
    // As version 2 allowed (factors need a proved address since the security review): the
    // squatter's factor set up while the address counted as proved, then unproved again.
    await proveEmail(h.verifyEmail, app.services, squatter.id);
    const enrolled = await invoke(h.startTotpEnrollment, {
      method: 'POST',
      path: '/users/me/totp',
      token: squatter.token,
      body: { currentPassword: PASSWORD },
    });
    await invoke(h.confirmTotp, {
      method: 'POST',
      path: '/users/me/totp/confirm',
      token: squatter.token,
      body: { code: totpCode(enrolled.body.secret, Date.now()) },
    });
    // The squatter links an identity of its own (Google) first.
    const linked = await socialSignIn('google', verified(uniqueEmail('squatters-google')), squatter.token);
    expect(linked.fragment).toEqual({ linked: 'google' });
    await redis.hset(app.services.keys.user(squatter.id), { emailVerified: '0' });
    const res = await signedIn('oidc', verified(squatter.email));
    expect(res.user.id).toBe(squatter.id);
    expect(await redis.exists(app.services.keys.mfa(squatter.id))).toBe(0);
    const list = await listIdentities(res.session.accessToken);
    expect(list.body.identities.map((i: { provider: string }) => i.provider)).toEqual(['oidc']);
    expect(await redis.hlen(app.services.keys.identityIndex('google'))).toBeGreaterThanOrEqual(0);
  });

  test('an unverified email whose address is taken → #error=link_required, and nothing changes', async () => {
    const account = await signUp(h.register, { tag: 'taken' });
    const before = await snapshot(account.id, account.email);
    const { fragment } = await socialSignIn('oidc', {
      email: account.email,
      name: 'X',
      emailVerified: false,
    });
    expect(fragment).toEqual({ error: 'link_required' });
    expect(await snapshot(account.id, account.email)).toBe(before);
    expect(
      (await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: account.token })).status,
    ).toBe(200);
  });

  test('an unverified email whose address is free → a new account, email unverified', async () => {
    const res = await signedIn('oidc', {
      email: uniqueEmail('unverified'),
      name: 'New',
      emailVerified: false,
    });
    expect(res.created).toBe(true);
    expect(res.user.emailVerified).toBe(false);
  });

  test('no email at all → #error=email_required, no account', async () => {
    const { fragment } = await socialSignIn('oidc', {
      email: '',
      name: 'Nobody',
      emailVerified: false,
      subject: `anon-${Date.now()}`,
    });
    expect(fragment).toEqual({ error: 'email_required' });
  });

  test('an account with TOTP on → 403 mfa_required with an mfaToken; POST /sessions/mfa completes it', async () => {
    const first = await signedIn('oidc', verified());
    const token = first.session.accessToken;
    const enrolled = await invoke(h.startTotpEnrollment, {
      method: 'POST',
      path: '/users/me/totp',
      token,
      body: {},
    });
    expect(enrolled.status).toBe(200);
    const confirmed = await invoke(h.confirmTotp, {
      method: 'POST',
      path: '/users/me/totp/confirm',
      token,
      body: { code: totpCode(enrolled.body.secret, Date.now() - 30_000) },
    });
    expect(confirmed.status).toBe(200);
    const { fragment, verifier } = await socialSignIn('oidc', verified(first.user.email));
    const res = await redeem(fragment.code as string, verifier);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      code: 'mfa_required',
      mfaToken: expect.any(String),
      methods: ['totp', 'recovery_code'],
    });
    const done = await invoke(h.completeMfaLogin, {
      method: 'POST',
      path: '/sessions/mfa',
      body: { mfaToken: res.body.mfaToken, code: totpCode(enrolled.body.secret, Date.now()) },
    });
    expect(done.status).toBe(200);
    expect(done.body.user.id).toBe(first.user.id);
  });
});

describe('linking to a signed-in account', () => {
  test('start with a Bearer token links the identity: #linked=<provider>, listed, and it signs in to that account', async () => {
    const account = await signUp(h.register, { tag: 'linker' });
    const who = verified(uniqueEmail('other-address'));
    const { fragment } = await socialSignIn('google', who, account.token);
    expect(fragment).toEqual({ linked: 'google' });
    const list = await listIdentities(account.token);
    expect(list.body.identities).toMatchObject([{ provider: 'google', email: who.email }]);
    const res = await signedIn('google', who);
    expect(res.user.id).toBe(account.id);
  });

  test('an identity that belongs to another account → #error=identity_taken', async () => {
    const who = verified();
    await signedIn('oidc', who);
    const account = await signUp(h.register, { tag: 'late' });
    const { fragment } = await socialSignIn('oidc', who, account.token);
    expect(fragment).toEqual({ error: 'identity_taken' });
    expect((await listIdentities(account.token)).body.identities).toEqual([]);
  });

  test('two accounts racing to link one identity: exactly one wins, the other gets identity_taken', async () => {
    const who = verified();
    const [a, b] = await Promise.all([
      signUp(h.register, { tag: 'race' }),
      signUp(h.register, { tag: 'race' }),
    ]);
    const answers = await Promise.all([a, b].map((account) => atProvider('oidc', who, account.token)));
    const results = await Promise.all(answers.map(({ answer }) => deliver(h, answer)));
    const fragments = results.map(fragmentOf);
    expect(fragments).toEqual(expect.arrayContaining([{ linked: 'oidc' }, { error: 'identity_taken' }]));
  });

  test('a bad bearer token on start → 401, nothing stored', async () => {
    const res = await invoke(h.start, {
      method: 'POST',
      path: '/oauth/oidc/start',
      pathParameters: { provider: 'oidc' },
      token: 'a.b.c',
      body: { redirectUri: REDIRECT_URI, codeChallenge: pkce().challenge },
    });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
  });
});

describe('accounts without a password', () => {
  test('password log-in answers them exactly as a wrong password', async () => {
    const res = await signedIn('oidc', verified());
    const login = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: res.user.email, password: PASSWORD },
    });
    const wrong = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: uniqueEmail('nobody'), password: PASSWORD },
    });
    expect(login.status).toBe(401);
    const strip = (r: Response) => ({ ...r.body, requestId: undefined });
    expect(strip(login)).toEqual(strip(wrong));
  });

  test('deletion without a password: a fresh session → 204 (identities gone); a stale one → 403 reauthentication_required', async () => {
    const stale = await signedIn('oidc', verified());
    clock += 301_000;
    const refused = await invoke(h.deleteAccount, {
      method: 'DELETE',
      path: '/users/me',
      token: stale.session.accessToken,
      body: {},
    });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('reauthentication_required');
    // Sign in again: a fresh session may delete.
    const fresh = await signedIn('oidc', verified(stale.user.email));
    const deleted = await invoke(h.deleteAccount, {
      method: 'DELETE',
      path: '/users/me',
      token: fresh.session.accessToken,
      body: {},
    });
    expect(deleted.status).toBe(204);
    expect(await redis.exists(app.services.keys.identities(stale.user.id))).toBe(0);
    // The identity is free again: the same sign-in makes a new account.
    const again = await signedIn('oidc', verified(stale.user.email));
    expect(again.created).toBe(true);
    expect(again.user.id).not.toBe(stale.user.id);
  });

  test('any password it sends is wrong: 403 current_password_incorrect', async () => {
    const res = await signedIn('oidc', verified());
    const refused = await invoke(h.deleteAccount, {
      method: 'DELETE',
      path: '/users/me',
      token: res.session.accessToken,
      body: { password: PASSWORD },
    });
    expect(refused.body.code).toBe('current_password_incorrect');
  });

  test('unlinking its last method → 409 last_sign_in_method; PUT /users/me/password sets a first password, then unlinking works', async () => {
    const res = await signedIn('oidc', verified());
    const token = res.session.accessToken;
    const [identity] = (await listIdentities(token)).body.identities;
    const unlink = () =>
      invoke(h.unlink, {
        method: 'DELETE',
        path: `/users/me/identities/${identity.id}`,
        token,
        pathParameters: { identityId: identity.id },
      });
    const refused = await unlink();
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('last_sign_in_method');
    const set = await invoke(h.changePassword, {
      method: 'PUT',
      path: '/users/me/password',
      token,
      body: { newPassword: 'a first password of mine' },
    });
    expect(set.status).toBe(204);
    expect((await listIdentities(token)).body.hasPassword).toBe(true);
    const login = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: res.user.email, password: 'a first password of mine' },
    });
    expect(login.status).toBe(200);
    expect((await unlink()).status).toBe(204);
    expect((await listIdentities(token)).body.identities).toEqual([]);
    expect((await unlink()).status).toBe(404);
  });

  test('an account with a password must still send it (400 naming the field)', async () => {
    const account = await signUp(h.register, { tag: 'haspassword' });
    const res = await invoke(h.deleteAccount, {
      method: 'DELETE',
      path: '/users/me',
      token: account.token,
      body: {},
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'password', message: 'is required' }]);
  });

  test('a password reset works for them (the reset link sets a first password)', async () => {
    const res = await signedIn('oidc', verified());
    // The link the mail function would mail (issued by its own code).
    const links = createMailLinks(app.services.datastore, app.services.keys, app.services.config.mail);
    const link = await links.issueReset(res.user.email, clock);
    const confirm = await invoke(h.confirmPasswordReset, {
      method: 'POST',
      path: '/password-resets/confirm',
      body: { token: link?.token, newPassword: 'a reset password here' },
    });
    expect(confirm.status).toBe(200);
  });
});

describe('bad input', () => {
  const startWith = (body: unknown, provider = 'oidc') =>
    invoke(h.start, { method: 'POST', path: `/oauth/${provider}/start`, pathParameters: { provider }, body });

  test.each([
    [{ redirectUri: REDIRECT_URI }, 'codeChallenge'],
    [{ redirectUri: 'not a url', codeChallenge: pkce().challenge }, 'redirectUri'],
    [{ redirectUri: `${REDIRECT_URI}#x`, codeChallenge: pkce().challenge }, 'redirectUri'],
    [{ redirectUri: REDIRECT_URI, codeChallenge: 'short' }, 'codeChallenge'],
    [{ redirectUri: REDIRECT_URI, codeChallenge: pkce().challenge, extra: 1 }, 'extra'],
  ])('start %j → 400 naming %s', async (body, field) => {
    const res = await startWith(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  test('a redirectUri at another origin → 400 redirect_uri_not_allowed', async () => {
    const res = await startWith({ redirectUri: 'https://evil.example/cb', codeChallenge: pkce().challenge });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('redirect_uri_not_allowed');
  });

  test('a provider that is off, or unknown → 404 not_found', async () => {
    expect(
      (await startWith({ redirectUri: REDIRECT_URI, codeChallenge: pkce().challenge }, 'github')).status,
    ).toBe(404);
    expect(
      (await startWith({ redirectUri: REDIRECT_URI, codeChallenge: pkce().challenge }, 'myspace')).status,
    ).toBe(404);
  });

  test.each([
    ['', 'state'],
    ['code=x', 'state'],
    ['state=a&state=b', 'state'],
    [`state=x&code=${'y'.repeat(5000)}`, 'code'],
  ])('callback query #%# → 400 naming %s', async (query, field) => {
    const res = await deliver(h, { method: 'GET', provider: 'oidc', params: new URLSearchParams(query) });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors[0].field).toBe(field);
  });

  test.each([
    [{ code: 'x', codeVerifier: 'short' }, 'codeVerifier'],
    [{ codeVerifier: pkce().verifier }, 'code'],
  ])('sign-in body %j → 400 naming %s', async (body, field) => {
    const res = await invoke(h.signIn, { method: 'POST', path: '/sessions/oauth', body });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe(field);
  });

  test('a code that is not one of ours → 400 oauth_code_invalid', async () => {
    expect((await redeem('nonsense', pkce().verifier)).body.code).toBe('oauth_code_invalid');
  });
});

describe('Apple', () => {
  test('response_mode=form_post: the callback is a form POST; the client secret is an ES256 JWT; the name comes from the form', async () => {
    twin.requests.length = 0;
    const email = uniqueEmail('apple');
    const { answer, verifier } = await atProvider('apple', { email, name: '', emailVerified: true });
    expect(answer.method).toBe('POST');
    answer.params.set('user', JSON.stringify({ name: { firstName: 'Tim', lastName: 'Apple' }, email }));
    const fragment = fragmentOf(await deliver(h, answer));
    const res = await redeem(fragment.code as string, verifier);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ email, name: 'Tim Apple' });
    const token = twin.requests.find((r) => r.path === '/token');
    expect(decodeJwt(token?.params.client_secret as string)).toMatchObject({
      iss: 'TEAM123456',
      sub: 'apple-client',
    });
  });

  test('the form callback refuses other media types (415)', async () => {
    const res = await invoke(h.formCallback, {
      method: 'POST',
      path: '/oauth/apple/callback',
      pathParameters: { provider: 'apple' },
      body: { state: 'x' },
    });
    expect(res.status).toBe(415);
  });
});

test('the data invariants hold after all of the above', async () => {
  // Read at the latest time a test's clock reached (it moved up to 601 s ahead): sessions opened
  // then carry TTLs counted from that time.
  const report = await verifyData(redis, app.services.keys.prefix, Date.now() + 601_000);
  expect(report.problems).toEqual([]);
});
