// Email ownership and account recovery through the real handlers: the mail function's service runs
// each queued job in this process (tests/support/mail.ts) and sends through the real SES v2 client
// to the SES emulator (dev/mailbox.ts); the tests read the mail from it and follow its links.
import type { StoredMail } from '../../dev/mailbox';
import { createServices } from '../../lib/services';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts';
import { invoke, testConfig } from '../support/app';
import { createHandlers } from '../support/handlers';
import { deliveringMailQueue, useMailbox } from '../support/mail';

const NEW_PASSWORD = 'a brand new passphrase 7';
const APP_URL = 'https://app.example';

const mailbox = useMailbox();
let clock = Date.now();
const now = () => clock;

/** Handlers on one configuration, with mail delivered for real. */
function setUp(env: Record<string, string> = {}) {
  const config = testConfig({ APP_URL, APP_NAME: 'Acme', RATE_LIMIT_RESET_PER_IP: '1000/60', ...env });
  const services = createServices(config, { now, mailQueue: deliveringMailQueue(config, { now }) });
  return { h: createHandlers(services), services };
}

/** The mails sent to `address` so far, oldest first. */
const mailsTo = async (address: string): Promise<StoredMail[]> =>
  (await mailbox().mails()).filter((mail) => mail.destination.to.includes(address));

/** The token of the link of the last mail to `address` whose link goes to `page`. */
async function linkToken(address: string, page: 'verify-email' | 'reset-password'): Promise<string> {
  const mail = (await mailsTo(address)).filter((m) => m.body.text?.includes(`/${page}#token=`)).pop();
  const match = new RegExp(`${APP_URL}/${page}#token=([A-Za-z0-9_%.-]+)`).exec(mail?.body.text ?? '');
  if (!match?.[1]) throw new Error(`no ${page} link mailed to ${address}`);
  return decodeURIComponent(match[1]);
}

describe('email verification', () => {
  test('register mails a link; following it flips emailVerified; a second use is link_invalid', async () => {
    // Prepare
    const { h } = setUp();
    const { email, session, user } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' });
    expect(user.emailVerified).toBe(false);
    const [mail] = await mailsTo(email);
    expect(mail?.subject).toBe('Confirm your email address for Acme');
    expect(mail?.body.html).toContain(`${APP_URL}/verify-email#token=`);
    expect(mail?.body.text).toContain('1 day');
    const token = await linkToken(email, 'verify-email');

    // Act
    const verified = await invoke(h.verifyEmail, {
      method: 'POST',
      path: '/email-verification',
      body: { token },
    });
    const again = await invoke(h.verifyEmail, {
      method: 'POST',
      path: '/email-verification',
      body: { token },
    });
    const me = await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: session.accessToken });

    // Assess
    expect(verified.status).toBe(200);
    expect(verified.body.user).toMatchObject({ id: user.id, email, emailVerified: true });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('link_invalid');
    expect(me.body.user.emailVerified).toBe(true);
    // Verified: no new link.
    const resend = await invoke(h.resendVerification, {
      method: 'POST',
      path: '/users/me/email-verification',
      token: session.accessToken,
    });
    expect(resend.status).toBe(409);
    expect(resend.body.code).toBe('already_verified');
  });

  test('an expired link is link_invalid; a newer link kills the older', async () => {
    const { h } = setUp();
    const { email, session } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' });
    const first = await linkToken(email, 'verify-email');
    const resent = await invoke(h.resendVerification, {
      method: 'POST',
      path: '/users/me/email-verification',
      token: session.accessToken,
    });
    expect(resent.status).toBe(202);
    expect(resent.body).toBeUndefined();
    const second = await linkToken(email, 'verify-email');
    expect(second).not.toBe(first);
    const older = await invoke(h.verifyEmail, {
      method: 'POST',
      path: '/email-verification',
      body: { token: first },
    });
    expect(older.body.code).toBe('link_invalid');

    clock += 86_400_000 + 1000;
    try {
      const expired = await invoke(h.verifyEmail, {
        method: 'POST',
        path: '/email-verification',
        body: { token: second },
      });
      expect(expired.status).toBe(400);
      expect(expired.body.code).toBe('link_invalid');
    } finally {
      clock = Date.now();
    }
  });

  test('an email change mails the new address a link and the old one a notice; old links die', async () => {
    const { h } = setUp();
    const { email, session } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' });
    const oldLink = await linkToken(email, 'verify-email');
    const moved = uniqueEmail('moved');
    const res = await invoke(h.updateProfile, {
      method: 'PATCH',
      path: '/users/me',
      token: session.accessToken,
      body: { email: moved, currentPassword: PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ email: moved, emailVerified: false });
    const notice = (await mailsTo(email)).pop();
    expect(notice?.subject).toBe('Your Acme email address was changed');
    expect(notice?.body.text).toContain(moved);
    const stale = await invoke(h.verifyEmail, {
      method: 'POST',
      path: '/email-verification',
      body: { token: oldLink },
    });
    expect(stale.body.code).toBe('link_invalid');
    const fresh = await invoke(h.verifyEmail, {
      method: 'POST',
      path: '/email-verification',
      body: { token: await linkToken(moved, 'verify-email') },
    });
    expect(fresh.body.user).toMatchObject({ email: moved, emailVerified: true });
  });

  test.each(['not-a-token', `usr_${'A'.repeat(22)}.${'B'.repeat(43)}`])(
    'a made-up token %s is link_invalid',
    async (token) => {
      const { h } = setUp();
      const res = await invoke(h.verifyEmail, {
        method: 'POST',
        path: '/email-verification',
        body: { token },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('link_invalid');
    },
  );
});

describe('password reset', () => {
  test('a completed reset revokes every session, clears the back-off, verifies the email and signs in', async () => {
    // Prepare: two sessions, a back-off running from wrong log-ins
    const { h } = setUp();
    const { email, session } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' });
    const other = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    for (let i = 0; i < 5; i++)
      await invoke(h.login, {
        method: 'POST',
        path: '/sessions',
        body: { email, password: 'wrong password!!' },
      });
    const locked = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    expect(locked.status).toBe(429);
    const asked = await invoke(h.requestPasswordReset, {
      method: 'POST',
      path: '/password-resets',
      body: { email },
    });
    expect(asked.status).toBe(202);
    const token = await linkToken(email, 'reset-password');

    // Act
    const done = await invoke(h.confirmPasswordReset, {
      method: 'POST',
      path: '/password-resets/confirm',
      body: { token, newPassword: NEW_PASSWORD },
    });

    // Assess
    expect(done.status).toBe(200);
    expect(done.body.user).toMatchObject({ email, emailVerified: true });
    const me = await invoke(h.getProfile, {
      method: 'GET',
      path: '/users/me',
      token: done.body.session.accessToken,
    });
    expect(me.status).toBe(200);
    for (const old of [session, other.body.session]) {
      expect(
        (await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: old.accessToken })).status,
      ).toBe(401);
      const refreshed = await invoke(h.refreshSession, {
        method: 'POST',
        path: '/sessions/refresh',
        body: { refreshToken: old.refreshToken },
      });
      expect(refreshed.status).toBe(401);
    }
    const login = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: NEW_PASSWORD },
    });
    expect(login.status).toBe(200);
    const reuse = await invoke(h.confirmPasswordReset, {
      method: 'POST',
      path: '/password-resets/confirm',
      body: { token, newPassword: 'yet another passphrase 9' },
    });
    expect(reuse.body.code).toBe('link_invalid');
  });

  test('a newer reset link kills the older; a password change kills them all', async () => {
    const { h } = setUp();
    const { email, session } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' });
    await invoke(h.requestPasswordReset, { method: 'POST', path: '/password-resets', body: { email } });
    const first = await linkToken(email, 'reset-password');
    await invoke(h.requestPasswordReset, { method: 'POST', path: '/password-resets', body: { email } });
    const second = await linkToken(email, 'reset-password');
    const confirm = (token: string) =>
      invoke(h.confirmPasswordReset, {
        method: 'POST',
        path: '/password-resets/confirm',
        body: { token, newPassword: NEW_PASSWORD },
      });
    expect((await confirm(first)).body.code).toBe('link_invalid');
    const changed = await invoke(h.changePassword, {
      method: 'PUT',
      path: '/users/me/password',
      token: session.accessToken,
      body: { currentPassword: PASSWORD, newPassword: 'changed by the owner 1' },
    });
    expect(changed.status).toBe(204);
    expect((await confirm(second)).body.code).toBe('link_invalid');
  });

  test('the new password follows the password rules, and a refused one spends nothing', async () => {
    const { h } = setUp();
    const { email } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' });
    await invoke(h.requestPasswordReset, { method: 'POST', path: '/password-resets', body: { email } });
    const token = await linkToken(email, 'reset-password');
    const weak = await invoke(h.confirmPasswordReset, {
      method: 'POST',
      path: '/password-resets/confirm',
      body: { token, newPassword: email },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('validation_failed');
    const good = await invoke(h.confirmPasswordReset, {
      method: 'POST',
      path: '/password-resets/confirm',
      body: { token, newPassword: NEW_PASSWORD },
    });
    expect(good.status).toBe(200);
  });

  test('10 parallel confirmations of one link: exactly one 200, the rest link_invalid', async () => {
    const { h } = setUp();
    const { email } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' });
    await invoke(h.requestPasswordReset, { method: 'POST', path: '/password-resets', body: { email } });
    const token = await linkToken(email, 'reset-password');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        invoke(h.confirmPasswordReset, {
          method: 'POST',
          path: '/password-resets/confirm',
          body: { token, newPassword: `parallel passphrase ${i}x` },
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(400)]);
    expect(answers.filter((a) => a.status === 400).every((a) => a.body.code === 'link_invalid')).toBe(true);
  });

  test("a squatter's account is taken over by the address's owner through a reset", async () => {
    // Prepare: someone registered an address they do not own, and is signed in
    const { h } = setUp();
    const { email, session: squatter } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' });

    // Act: the owner of the mailbox asks for a reset and follows the link
    await invoke(h.requestPasswordReset, { method: 'POST', path: '/password-resets', body: { email } });
    const done = await invoke(h.confirmPasswordReset, {
      method: 'POST',
      path: '/password-resets/confirm',
      body: { token: await linkToken(email, 'reset-password'), newPassword: NEW_PASSWORD },
    });

    // Assess: the owner holds the account, verified; the squatter is out and cannot log in
    expect(done.status).toBe(200);
    expect(done.body.user).toMatchObject({ email, emailVerified: true });
    expect(
      (await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: squatter.accessToken })).status,
    ).toBe(401);
    const squatterLogin = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    expect(squatterLogin.status).toBe(401);
  });

  test('known and unknown addresses get the same status, headers and body; only the known one gets mail', async () => {
    const { h } = setUp();
    const { email } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' });
    const unknown = uniqueEmail('nobody');
    const ask = (address: string) =>
      invoke(h.requestPasswordReset, { method: 'POST', path: '/password-resets', body: { email: address } });
    const [known, stranger] = [await ask(email), await ask(unknown)];
    const shape = (r: Awaited<ReturnType<typeof ask>>) => ({
      status: r.status,
      headers: r.headers,
      body: r.body,
    });
    expect(shape(stranger)).toEqual(shape(known));
    expect(known.status).toBe(202);
    expect(await mailsTo(unknown)).toEqual([]);
    expect((await mailsTo(email)).some((m) => m.subject === 'Reset your Acme password')).toBe(true);
  });

  test('beyond RATE_LIMIT_MAIL_PER_ADDRESS the request still gets 202 and no mail goes out', async () => {
    const { h } = setUp({ RATE_LIMIT_MAIL_PER_ADDRESS: '2/3600' });
    const { email } = await signUp(h.register, { tag: 'recovery', name: 'Ada Lovelace' }); // the verification mail is the first of two
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(
        await invoke(h.requestPasswordReset, { method: 'POST', path: '/password-resets', body: { email } }),
      );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(await mailsTo(email)).toHaveLength(2);
  });

  test('RATE_LIMIT_RESET_PER_IP: 429 with Retry-After from the same client', async () => {
    const { h } = setUp({ RATE_LIMIT_RESET_PER_IP: '2/3600' });
    const ask = () =>
      invoke(h.requestPasswordReset, {
        method: 'POST',
        path: '/password-resets',
        body: { email: uniqueEmail('limit') },
        ip: '203.0.113.9',
      });
    const answers = [await ask(), await ask(), await ask()];
    expect(answers.map((a) => a.status)).toEqual([202, 202, 429]);
    expect(answers[2]?.headers['retry-after']).toMatch(/^\d+$/);
  });
});

describe('REQUIRE_VERIFIED_EMAIL=true', () => {
  test('register opens no session; log-in with the right password is 403 email_not_verified until verified', async () => {
    const { h } = setUp({ REQUIRE_VERIFIED_EMAIL: 'true' });
    const email = uniqueEmail('strict');
    const registered = await invoke(h.register, {
      method: 'POST',
      path: '/users',
      body: { name: 'Ada Lovelace', email, password: PASSWORD },
    });
    expect(registered.status).toBe(201);
    expect(Object.keys(registered.body)).toEqual(['user']);
    const wrong = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: 'not the password' },
    });
    expect(wrong.body.code).toBe('invalid_credentials');
    const early = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    expect(early.status).toBe(403);
    expect(early.body.code).toBe('email_not_verified');
    await invoke(h.verifyEmail, {
      method: 'POST',
      path: '/email-verification',
      body: { token: await linkToken(email, 'verify-email') },
    });
    const later = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    expect(later.status).toBe(200);
  });
});
