// Security notices (README "Operations") through the real handlers: each request
// queues a job, the mail function's service runs it in this process (tests/support/mail.ts) and
// sends through the real SES v2 client to the local mailbox, where each notice is read.
import type { StoredMail } from '../../dev/mailbox';
import { SoftAuthenticator } from '../../dev/soft-authenticator';
import { totpCode } from '../../lib/mfa/totp';
import { noticeJob } from '../../lib/notices/notices';
import { createServices } from '../../lib/services';
import { PASSWORD, signUp, signUpVerified } from '../support/accounts';
import { invoke, testConfig } from '../support/app';
import { createHandlers } from '../support/handlers';
import { deliveringMailQueue, useMailbox } from '../support/mail';

const APP_URL = 'https://app.example';
const mailbox = useMailbox();

function setUp(env: Record<string, string> = {}) {
  const config = testConfig({ APP_URL, APP_NAME: 'Acme', RATE_LIMIT_RESET_PER_IP: '1000/60', ...env });
  const mailQueue = deliveringMailQueue(config);
  const services = createServices(config, { mailQueue });
  return { h: createHandlers(services), mailQueue, services };
}

/** The subjects of the mails sent to `address`, oldest first. */
const subjectsTo = async (address: string): Promise<string[]> =>
  (await mailbox().mails())
    .filter((mail: StoredMail) => mail.destination.to.includes(address))
    .map((mail) => mail.subject);

const logIn = (h: ReturnType<typeof setUp>['h'], email: string, userAgent: string, password = PASSWORD) =>
  invoke(h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email, password },
    headers: { 'user-agent': userAgent },
  });

test('a sign-in from a device the account has not used mails the owner; a known device does not', async () => {
  const { h } = setUp();
  const { email } = await signUp(h.register, { tag: 'notice' });

  expect((await logIn(h, email, 'jest')).status).toBe(200);
  expect((await logIn(h, email, 'Firefox 140 on a new laptop')).status).toBe(200);
  expect((await logIn(h, email, 'Firefox 140 on a new laptop')).status).toBe(200);

  expect(await subjectsTo(email)).toEqual([
    'Confirm your email address for Acme',
    'Acme: new sign-in to your account',
  ]);
  const [notice] = (await mailbox().mails()).filter(
    (mail) => mail.destination.to.includes(email) && mail.subject.includes('new sign-in'),
  );
  expect(notice?.body.text).toContain('Firefox 140 on a new laptop');
  expect(notice?.body.html).toContain('reset your password');
});

test('the registering device is remembered with the account, not by a job: a log-in from another is news', async () => {
  const config = testConfig({ APP_URL, APP_NAME: 'Acme' });
  const delivering = deliveringMailQueue(config);
  const kinds: string[] = [];
  const services = createServices(config, {
    mailQueue: {
      enqueue: (job) => {
        kinds.push(job.kind);
        return delivering.enqueue(job);
      },
    },
  });
  const h = createHandlers(services);
  // Longer than a sign-in job keeps (256): the digest must be of the same cut on both paths.
  const desktop = `Chrome on the registering desktop ${'x'.repeat(300)}`;
  const { email } = await signUp(h.register, { tag: 'notice', userAgent: desktop });
  expect(kinds).toEqual(['verify-email']);

  expect((await logIn(h, email, 'Safari on a phone')).status).toBe(200);
  expect((await logIn(h, email, desktop)).status).toBe(200);

  expect(await subjectsTo(email)).toEqual([
    'Confirm your email address for Acme',
    'Acme: new sign-in to your account',
  ]);
  const notice = (await mailbox().mails()).find(
    (mail) => mail.destination.to.includes(email) && mail.subject.includes('new sign-in'),
  );
  expect(notice?.body.text).toContain('Safari on a phone');
  expect(kinds).toEqual(['verify-email', 'signed-in', 'signed-in']);
});

test('NOTIFY_NEW_DEVICE=false: no new-device notice', async () => {
  const { h } = setUp({ NOTIFY_NEW_DEVICE: 'false' });
  const { email } = await signUp(h.register, { tag: 'notice' });
  expect((await logIn(h, email, 'Safari on a phone')).status).toBe(200);
  expect(await subjectsTo(email)).toEqual(['Confirm your email address for Acme']);
});

test('password changed, TOTP on and off, a passkey added and removed, an identity linked: one notice each', async () => {
  const { h, mailQueue, services } = setUp();
  // Second factors and passkeys need a proved address.
  const { email, user, session } = await signUpVerified(h, services, { tag: 'notice' });
  const token = session.accessToken;
  const newPassword = 'another long passphrase 9';

  const changed = await invoke(h.changePassword, {
    method: 'PUT',
    path: '/users/me/password',
    token,
    body: { currentPassword: PASSWORD, newPassword },
  });
  expect(changed.status).toBe(204);
  const started = await invoke(h.startTotpEnrollment, {
    method: 'POST',
    path: '/users/me/totp',
    token,
    body: { currentPassword: newPassword },
  });
  const confirmed = await invoke(h.confirmTotp, {
    method: 'POST',
    path: '/users/me/totp/confirm',
    token,
    body: { code: totpCode(started.body.secret, Date.now()) },
  });
  expect(confirmed.status).toBe(200);
  const disabled = await invoke(h.disableTotp, {
    method: 'DELETE',
    path: '/users/me/totp',
    token,
    body: { currentPassword: newPassword, recoveryCode: confirmed.body.recoveryCodes[0] },
  });
  expect(disabled.status).toBe(204);
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
    body: { response: authenticator.register(options.body.options, APP_URL), name: 'Work laptop' },
  });
  expect(added.status).toBe(201);
  const removed = await invoke(h.deletePasskey, {
    method: 'DELETE',
    path: `/users/me/passkeys/${added.body.passkey.id}`,
    pathParameters: { passkeyId: added.body.passkey.id },
    token,
    body: { currentPassword: newPassword },
  });
  expect(removed.status).toBe(204);
  // What social log-in queues when it links an identity (lib/notices/notices.ts).
  await mailQueue.enqueue(noticeJob(user.id, 'identity-linked', 'Google'));

  expect(await subjectsTo(email)).toEqual([
    'Confirm your email address for Acme',
    'Acme: your password was changed',
    'Acme: two-step verification is on',
    'Acme: two-step verification is off',
    'Acme: a passkey was added',
    'Acme: a passkey was removed',
    'Acme: a sign-in method was linked',
  ]);
  const mails = (await mailbox().mails()).filter((mail) => mail.destination.to.includes(email));
  expect(mails.find((m) => m.subject === 'Acme: a passkey was added')?.body.text).toContain('"Work laptop"');
  expect(mails.find((m) => m.subject === 'Acme: a sign-in method was linked')?.body.text).toContain(
    'Your Google account',
  );
});

test('a completed reset mails a notice', async () => {
  const { h } = setUp();
  const { email } = await signUp(h.register, { tag: 'notice' });
  await invoke(h.requestPasswordReset, { method: 'POST', path: '/password-resets', body: { email } });
  const reset = (await mailbox().mails()).filter(
    (mail) => mail.destination.to.includes(email) && mail.body.text?.includes('/reset-password#token='),
  )[0];
  const tokenMatch = /reset-password#token=([A-Za-z0-9_%.-]+)/.exec(reset?.body.text ?? '');
  const confirmed = await invoke(h.confirmPasswordReset, {
    method: 'POST',
    path: '/password-resets/confirm',
    body: { token: decodeURIComponent(tokenMatch?.[1] ?? ''), newPassword: 'a reset passphrase 42' },
  });
  expect(confirmed.status).toBe(200);
  expect((await subjectsTo(email)).slice(-1)).toEqual(['Acme: your password was reset']);
});
