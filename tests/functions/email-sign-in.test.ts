// Passwordless email through the real handlers (docs/security.md, passwordless email): the mail function's
// service runs each queued job in this process and sends through the real SES v2 client to the
// emulator (dev/mailbox.ts); the tests read link and code from the mailbox. The clock is injected,
// so expiry and back-off are stepped over, never waited for.
import type { StoredMail } from '../../dev/mailbox';
import { verifyData } from '../../dev/verify-data';
import { emailSelector } from '../../lib/keys';
import { totpCode } from '../../lib/mfa/totp';
import { createServices } from '../../lib/services';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts';
import { invoke, type Response, testConfig } from '../support/app';
import { restClient } from '../support/datastore';
import { createHandlers } from '../support/handlers';
import { deliveringMailQueue, useMailbox } from '../support/mail';

const APP_URL = 'https://app.example';
const mailbox = useMailbox();
const redis = restClient({ automaticDeserialization: false });

let clock = Date.parse('2031-05-01T10:00:00.000Z');
const now = () => clock;

/** Handlers on one configuration (a key prefix of their own), with mail delivered for real. */
function setUp(env: Record<string, string> = {}) {
  const config = testConfig({
    APP_URL,
    APP_NAME: 'Acme',
    RATE_LIMIT_EMAIL_SIGN_IN_PER_IP: '1000/60',
    RATE_LIMIT_MAIL_PER_ADDRESS: '1000/60',
    ...env,
  });
  const services = createServices(config, { now, mailQueue: deliveringMailQueue(config, { now }) });
  return { h: createHandlers(services), services, config };
}

let ipCounter = 0;
/** A client address of its own, so no per-client back-off of another test is near. */
const newIp = () => `198.18.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;

const mailsTo = async (address: string): Promise<StoredMail[]> =>
  (await mailbox().mails()).filter((mail) => mail.destination.to.includes(address));

/** The link token and code of the last sign-in mail to `address`. */
async function signInMail(address: string): Promise<{ mail: StoredMail; token: string; code: string }> {
  const mail = (await mailsTo(address)).filter((m) => m.body.text?.includes('/sign-in#token=')).pop();
  const text = mail?.body.text ?? '';
  const token = new RegExp(`${APP_URL}/sign-in#token=([A-Za-z0-9_%.-]+)`).exec(text)?.[1];
  const code = /code where you asked: (\d{6})/.exec(text)?.[1];
  if (!mail || !token || !code) throw new Error(`no sign-in mail to ${address}`);
  return { mail, token: decodeURIComponent(token), code };
}

type Handlers = ReturnType<typeof setUp>['h'];

/** A registered account whose address is verified (its mailed verification link followed). */
async function verifiedAccount(h: Handlers) {
  const account = await signUp(h.register, { tag: 'esi', name: 'Ada Lovelace' });
  const mail = (await mailsTo(account.email)).find((m) => m.body.text?.includes('/verify-email#token='));
  const token = /verify-email#token=([A-Za-z0-9_%.-]+)/.exec(mail?.body.text ?? '')?.[1] ?? '';
  const verified = await invoke(h.verifyEmail, {
    method: 'POST',
    path: '/email-verification',
    body: { token: decodeURIComponent(token) },
  });
  expect(verified.status).toBe(200);
  return { ...account, user: verified.body.user };
}

const ask = (h: Handlers, email: string, ip = newIp()) =>
  invoke(h.requestEmailSignIn, { method: 'POST', path: '/sessions/email', body: { email }, ip });
const confirm = (h: Handlers, body: Record<string, unknown>, ip = newIp()) =>
  invoke(h.confirmEmailSignIn, { method: 'POST', path: '/sessions/email/confirm', body, ip });

/** What a client can compare between two answers: everything but the request id. */
const observable = (res: Response) => ({ status: res.status, headers: res.headers, body: res.body });

const expectRefusal = (res: Response, status: 400 | 401, code: 'link_invalid' | 'sign_in_code_invalid') => {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.body).toMatchObject({ status, code });
};

/** The fields of the address's live sign-in record, straight from the datastore. */
const signInRecord = async (prefix: string, email: string) =>
  (await redis.hgetall(`${prefix}email-sign-in:${emailSelector(email)}`)) as unknown as string[] | null;

describe('asking for a sign-in mail', () => {
  test('a known address gets one mail with both a link and a 6-digit code, in text and HTML', async () => {
    // Prepare
    const { h } = setUp();
    const account = await signUp(h.register, { tag: 'esi', name: 'Ada Lovelace' });

    // Act
    const res = await ask(h, account.email);

    // Assess
    expect(res.status).toBe(202);
    expect(res.body).toBeUndefined();
    const mails = (await mailsTo(account.email)).filter((m) => m.subject === 'Sign in to Acme');
    expect(mails).toHaveLength(1);
    const { mail, token, code } = await signInMail(account.email);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(code).toMatch(/^\d{6}$/);
    expect(mail.body.html).toContain(`${APP_URL}/sign-in#token=${token}`);
    expect(mail.body.html).toContain(code);
    expect(mail.body.text).toContain('10 minutes');
  });

  test('an unknown address gets the same answer, and a mail that offers an account', async () => {
    const { h } = setUp();
    const account = await signUp(h.register, { tag: 'esi' });
    const stranger = uniqueEmail('esi-new');

    const known = await ask(h, account.email);
    const unknown = await ask(h, stranger);

    expect(observable(unknown)).toEqual(observable(known));
    const { mail } = await signInMail(stranger);
    expect(mail.subject).toBe('Create your Acme account');
  });

  test('EMAIL_SIGN_UP=false: an unknown address gets the same answer and no mail', async () => {
    const { h } = setUp({ EMAIL_SIGN_UP: 'false' });
    const account = await signUp(h.register, { tag: 'esi' });
    const stranger = uniqueEmail('esi-none');

    const known = await ask(h, account.email);
    const unknown = await ask(h, stranger);

    expect(observable(unknown)).toEqual(observable(known));
    expect(await mailsTo(stranger)).toEqual([]);
    await expect(signInMail(account.email)).resolves.toBeDefined();
  });

  test('per IP: 429 with Retry-After beyond RATE_LIMIT_EMAIL_SIGN_IN_PER_IP', async () => {
    const { h } = setUp({ RATE_LIMIT_EMAIL_SIGN_IN_PER_IP: '2/3600' });
    const ip = newIp();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await ask(h, uniqueEmail('esi-ip'), ip));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 429]);
    expect(answers[2]?.body.code).toBe('rate_limited');
    expect(Number(answers[2]?.headers['retry-after'])).toBeGreaterThan(0);
    // Another client is not affected.
    expect((await ask(h, uniqueEmail('esi-ip'))).status).toBe(202);
  });

  test('per address: beyond the mail limit still 202, no mail, and no new code (the older one lives)', async () => {
    const { h } = setUp({ RATE_LIMIT_MAIL_PER_ADDRESS: '2/86400' });
    const account = await signUp(h.register, { tag: 'esi' });
    // Register mailed a verification link: that is the address's first mail of the window.
    await ask(h, account.email);
    const before = await mailsTo(account.email);
    const { token } = await signInMail(account.email);

    const beyond = await ask(h, account.email);

    expect(beyond.status).toBe(202);
    expect(await mailsTo(account.email)).toHaveLength(before.length);
    expect((await confirm(h, { token })).status).toBe(200);
  });
});

describe('following a sign-in mail', () => {
  test('the code signs in: a session, emailVerified true, created false; the link is spent with it', async () => {
    const { h } = setUp();
    const account = await verifiedAccount(h);
    await ask(h, account.email);
    const { token, code } = await signInMail(account.email);

    const res = await confirm(h, { email: account.email, code });

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      user: {
        id: account.id,
        name: 'Ada Lovelace',
        email: account.email,
        emailVerified: true,
        pendingEmail: null,
        createdAt: account.user.createdAt,
        updatedAt: account.user.updatedAt,
      },
      session: {
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: expect.any(String),
        refreshExpiresIn: 2_592_000,
        sessionId: expect.stringMatching(/^ses_/),
      },
      created: false,
    });
    const me = await invoke(h.getProfile, {
      method: 'GET',
      path: '/users/me',
      token: res.body.session.accessToken,
    });
    expect(me.body.user.emailVerified).toBe(true);
    expectRefusal(await confirm(h, { token }), 400, 'link_invalid');
    expectRefusal(await confirm(h, { email: account.email, code }), 401, 'sign_in_code_invalid');
  });

  test('the link signs in (a code of the same mail is then spent); a second use is 400 link_invalid', async () => {
    const { h } = setUp();
    const account = await verifiedAccount(h);
    await ask(h, account.email);
    const { token, code } = await signInMail(account.email);

    const first = await confirm(h, { token });
    const second = await confirm(h, { token });

    expect(first.status).toBe(200);
    expect(first.body.user).toMatchObject({ id: account.id, emailVerified: true });
    expect(first.body.created).toBe(false);
    expectRefusal(second, 400, 'link_invalid');
    expectRefusal(await confirm(h, { email: account.email, code }), 401, 'sign_in_code_invalid');
    // The password still works: the account keeps it.
    const logIn = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: account.email, password: PASSWORD },
      ip: newIp(),
    });
    expect(logIn.status).toBe(200);
  });

  test('an unknown address: confirming makes a verified account without a password (created: true)', async () => {
    const { h, services } = setUp();
    const email = uniqueEmail('grace.hopper');
    await ask(h, email);
    const { token } = await signInMail(email);

    const res = await confirm(h, { token });

    expect(res.status).toBe(200);
    expect(res.body.created).toBe(true);
    expect(res.body.user).toMatchObject({ email, emailVerified: true, name: email.split('@')[0] });
    // No password: any password is refused as a wrong one.
    const logIn = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
      ip: newIp(),
    });
    expect(logIn.status).toBe(401);
    expect(logIn.body.code).toBe('invalid_credentials');
    // A second mail to the same address signs in to that account.
    await ask(h, email);
    const again = await confirm(h, { email, code: (await signInMail(email)).code });
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    expect(again.body.user.id).toBe(res.body.user.id);
    expect((await verifyData(redis, services.config.keyPrefix, clock)).problems).toEqual([]);
  });

  test('a newer mail kills the older link and code', async () => {
    const { h } = setUp();
    const account = await signUp(h.register, { tag: 'esi' });
    await ask(h, account.email);
    const older = await signInMail(account.email);
    await ask(h, account.email);
    const newer = await signInMail(account.email);
    expect(newer.token).not.toBe(older.token);

    expectRefusal(await confirm(h, { token: older.token }), 400, 'link_invalid');
    if (older.code !== newer.code)
      expectRefusal(
        await confirm(h, { email: account.email, code: older.code }),
        401,
        'sign_in_code_invalid',
      );
    expect((await confirm(h, { token: newer.token })).status).toBe(200);
  });

  test('link and code expire after EMAIL_SIGN_IN_TTL_SECONDS (injected clock)', async () => {
    const { h } = setUp({ EMAIL_SIGN_IN_TTL_SECONDS: '600' });
    const account = await signUp(h.register, { tag: 'esi' });
    await ask(h, account.email);
    const { token, code } = await signInMail(account.email);
    const start = clock;
    try {
      clock = start + 600_000;
      expectRefusal(await confirm(h, { token }), 400, 'link_invalid');
      expectRefusal(await confirm(h, { email: account.email, code }), 401, 'sign_in_code_invalid');
    } finally {
      clock = start + 1000;
    }
  });

  test('a password change and an account deletion kill a live sign-in', async () => {
    const { h } = setUp();
    const changed = await signUp(h.register, { tag: 'esi' });
    await ask(h, changed.email);
    const beforeChange = await signInMail(changed.email);
    const put = await invoke(h.changePassword, {
      method: 'PUT',
      path: '/users/me/password',
      token: changed.token,
      body: { currentPassword: PASSWORD, newPassword: 'another long passphrase 9' },
    });
    expect(put.status).toBe(204);
    expectRefusal(await confirm(h, { token: beforeChange.token }), 400, 'link_invalid');

    const deleted = await signUp(h.register, { tag: 'esi' });
    await ask(h, deleted.email);
    const beforeDeletion = await signInMail(deleted.email);
    const del = await invoke(h.deleteAccount, {
      method: 'DELETE',
      path: '/users/me',
      token: deleted.token,
      body: { password: PASSWORD },
    });
    expect(del.status).toBe(204);
    expectRefusal(await confirm(h, { token: beforeDeletion.token }), 400, 'link_invalid');
    expectRefusal(
      await confirm(h, { email: deleted.email, code: beforeDeletion.code }),
      401,
      'sign_in_code_invalid',
    );
  });

  test('an unverified account is taken over by the address owner: password and sessions go', async () => {
    const { h } = setUp();
    // Someone registers an address they do not own, with a password of theirs.
    const squatter = await signUp(h.register, { tag: 'esi' });
    await ask(h, squatter.email);
    const { code } = await signInMail(squatter.email);

    const owner = await confirm(h, { email: squatter.email, code });

    expect(owner.status).toBe(200);
    expect(owner.body.user).toMatchObject({ id: squatter.id, emailVerified: true });
    const old = await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: squatter.token });
    expect(old.status).toBe(401);
    const logIn = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: squatter.email, password: PASSWORD },
      ip: newIp(),
    });
    expect(logIn.status).toBe(401);
  });

  test('with TOTP on: 403 mfa_required with an mfaToken, and POST /sessions/mfa completes it', async () => {
    const { h } = setUp();
    // A verified account (TOTP on an unverified one would be taken over with it).
    const account = await verifiedAccount(h);
    const { token } = account;
    const started = await invoke(h.startTotpEnrollment, {
      method: 'POST',
      path: '/users/me/totp',
      token,
      body: { currentPassword: PASSWORD },
    });
    const { secret } = started.body;
    const confirmed = await invoke(h.confirmTotp, {
      method: 'POST',
      path: '/users/me/totp/confirm',
      token,
      body: { code: totpCode(secret, clock) },
    });
    expect(confirmed.status).toBe(200);
    await ask(h, account.email);
    const mail = await signInMail(account.email);
    const ip = newIp();

    const required = await confirm(h, { email: account.email, code: mail.code }, ip);

    expect(required.status).toBe(403);
    expect(required.body).toMatchObject({
      code: 'mfa_required',
      mfaToken: expect.any(String),
      methods: ['totp', 'recovery_code'],
    });
    // Spent: neither the link nor the code opens anything now.
    expectRefusal(await confirm(h, { token: mail.token }), 400, 'link_invalid');
    clock += 30_000;
    const done = await invoke(h.completeMfaLogin, {
      method: 'POST',
      path: '/sessions/mfa',
      body: { mfaToken: required.body.mfaToken, code: totpCode(secret, clock) },
      ip,
    });
    expect(done.status).toBe(200);
    expect(done.body.user.id).toBe(account.id);
  });

  test.each<[Record<string, unknown>, string]>([
    [{}, 'neither'],
    [{ token: 'x', email: 'a@example.com', code: '123456' }, 'both'],
    [{ email: 'a@example.com' }, 'no code'],
    [{ code: '123456' }, 'no email'],
    [{ token: 'x', extra: 1 }, 'an unknown member'],
  ])('%j (%s) → 400 validation_failed', async (body) => {
    const { h } = setUp();
    const res = await confirm(h, body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  });

  test.each(['', 'nonsense', 'a'.repeat(43), `${'a'.repeat(43)}.${'b'.repeat(43)}`])(
    'a token that is not a live one (%j) → 400 link_invalid',
    async (token) => {
      const { h } = setUp();
      const res = await confirm(h, { token });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(token === '' ? 'validation_failed' : 'link_invalid');
    },
  );
});

describe('guessing codes', () => {
  test('5 wrong codes, then the right one: refused (401 sign_in_code_invalid); the link still works', async () => {
    const { h, config } = setUp();
    const account = await signUp(h.register, { tag: 'esi' });
    await ask(h, account.email);
    const { token, code } = await signInMail(account.email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');

    const answers: Response[] = [];
    for (let i = 0; i < 5; i++) {
      // Each from an address of its own: only the code's own count is tested here.
      answers.push(await confirm(h, { email: account.email, code: wrong }));
    }
    const right = await confirm(h, { email: account.email, code });

    for (const answer of answers) expectRefusal(answer, 401, 'sign_in_code_invalid');
    expectRefusal(right, 401, 'sign_in_code_invalid');
    const record = await signInRecord(config.keyPrefix, account.email);
    expect(record).not.toBeNull();
    // The code died; the link (256 bits) did not: the owner can still use it.
    expect((await confirm(h, { token })).status).toBe(200);
  });

  test('20 parallel wrong codes: at most 5 are compared, and the right code is refused after them', async () => {
    const { h, config } = setUp();
    const account = await signUp(h.register, { tag: 'esi' });
    await ask(h, account.email);
    const { code } = await signInMail(account.email);
    const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => confirm(h, { email: account.email, code: wrong })),
    );

    // Every answer refuses; none opens anything.
    for (const answer of answers) {
      expect([401, 429]).toContain(answer.status);
      expect(['sign_in_code_invalid', 'rate_limited']).toContain(answer.body.code);
    }
    // A try is counted on the record before it is compared, in the same atomic step.
    const fields = (await signInRecord(config.keyPrefix, account.email)) ?? [];
    const attempts = Number(fields[fields.indexOf('attempts') + 1]);
    expect(attempts).toBe(5);
    expectRefusal(await confirm(h, { email: account.email, code }), 401, 'sign_in_code_invalid');
  });

  test('wrong codes count on the log-in back-off of that client, like wrong passwords', async () => {
    const { h } = setUp();
    const account = await signUp(h.register, { tag: 'esi' });
    await ask(h, account.email);
    const { code } = await signInMail(account.email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const ip = newIp();

    for (let i = 0; i < 5; i++) await confirm(h, { email: account.email, code: wrong }, ip);
    const logIn = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: account.email, password: PASSWORD },
      ip,
    });

    expect(logIn.status).toBe(429);
    expect(logIn.body.code).toBe('rate_limited');
  });

  test('10 parallel confirmations of one link: exactly one 200, the rest 400 link_invalid', async () => {
    const { h, services } = setUp();
    const email = uniqueEmail('esi-race');
    await ask(h, email);
    const { token } = await signInMail(email);

    const answers = await Promise.all(Array.from({ length: 10 }, () => confirm(h, { token })));

    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status !== 200)) expectRefusal(answer, 400, 'link_invalid');
    expect((await verifyData(redis, services.config.keyPrefix, clock)).problems).toEqual([]);
  });
});
