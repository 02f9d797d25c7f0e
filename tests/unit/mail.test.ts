// Mail content (lib/mail/messages.ts) and its delivery through the real SES v2 client (lib/mail/mailer.ts) to the
// local SES emulator that `npm start` runs (dev/mailbox.ts).

import { createSesMailer } from '../../lib/mail/mailer';
import { describeDuration, linkTo, renderMail } from '../../lib/mail/messages';
import { useMailbox } from '../support/mail';

const SETTINGS = { appName: 'Acme <Accounts>', appUrl: 'https://app.example/' };
const TOKEN = 'tok_abc-DEF_123';

describe('renderMail', () => {
  test.each([
    [
      'verify-email',
      'Confirm your email address for Acme <Accounts>',
      'https://app.example/verify-email#token=tok_abc-DEF_123',
      '1 day',
    ],
    [
      'password-reset',
      'Reset your Acme <Accounts> password',
      'https://app.example/reset-password#token=tok_abc-DEF_123',
      '30 minutes',
    ],
  ] as const)(
    '%s: subject, link with the token in the fragment, expiry, in both parts',
    (kind, subject, link, expiry) => {
      const mail = renderMail(
        {
          kind,
          to: 'ada@example.com',
          token: TOKEN,
          expiresInSeconds: kind === 'verify-email' ? 86_400 : 1800,
        },
        SETTINGS,
      );
      expect(mail.to).toBe('ada@example.com');
      expect(mail.subject).toBe(subject);
      expect(mail.text).toContain(link);
      expect(mail.text).toContain(expiry);
      expect(mail.html).toContain(`href="${link}"`);
      expect(mail.html).toContain(expiry);
      // The product name is escaped in HTML; no remote asset is referenced.
      expect(mail.html).toContain('Acme &#60;Accounts&#62;');
      expect(mail.html).not.toContain('<Accounts>');
      expect(mail.html).not.toMatch(/(src|url)\s*[=(]\s*["']?https?:/i);
    },
  );

  test.each([
    [false, 'Sign in to Acme <Accounts>', 'Sign me in'],
    [true, 'Create your Acme <Accounts> account', 'Create my account'],
  ])(
    'email-sign-in (newAccount %s): one mail with the link and the code, in both parts',
    (newAccount, subject, label) => {
      const mail = renderMail(
        {
          kind: 'email-sign-in',
          to: 'ada@example.com',
          token: TOKEN,
          code: '042917',
          expiresInSeconds: 600,
          newAccount,
        },
        SETTINGS,
      );
      const link = 'https://app.example/sign-in#token=tok_abc-DEF_123';
      expect(mail.subject).toBe(subject);
      expect(mail.text).toContain(`${label}: ${link}`);
      expect(mail.text).toContain('Or enter this code where you asked: 042917');
      expect(mail.text).toContain('10 minutes');
      expect(mail.html).toContain(`href="${link}"`);
      expect(mail.html).toContain('042917');
      expect(mail.html).not.toMatch(/(src|url)\s*[=(]\s*["']?https?:/i);
    },
  );

  test('email-changed: sent to the old address, names the new one, carries no link', () => {
    const mail = renderMail(
      { kind: 'email-changed', to: 'old@example.com', newEmail: 'new@example.com' },
      SETTINGS,
    );
    expect(mail.to).toBe('old@example.com');
    expect(mail.text).toContain('from old@example.com to new@example.com');
    expect(mail.text).not.toContain('#token=');
    expect(mail.html).not.toContain('href=');
  });

  test.each([
    [86_400, '1 day'],
    [172_800, '2 days'],
    [3600, '1 hour'],
    [1800, '30 minutes'],
    [90, '90 seconds'],
  ])('describeDuration(%i) → %s', (seconds, text) => {
    expect(describeDuration(seconds)).toBe(text);
  });

  test('a token is encoded into the fragment, never the query', () => {
    expect(linkTo('https://app.example', 'verify-email', 'a+b/c')).toBe(
      'https://app.example/verify-email#token=a%2Bb%2Fc',
    );
  });
});

describe('createSesMailer against the SES v2 emulator', () => {
  const mailbox = useMailbox();

  test('sends subject, text and HTML from the configured sender', async () => {
    const mail = renderMail(
      { kind: 'password-reset', to: 'grace@example.com', token: TOKEN, expiresInSeconds: 1800 },
      SETTINGS,
    );
    await createSesMailer('Acme <no-reply@acme.example>').send(mail);
    const [stored] = (await mailbox().mails()).filter((m) => m.destination.to.includes('grace@example.com'));
    expect(stored).toMatchObject({
      from: 'Acme <no-reply@acme.example>',
      subject: mail.subject,
      body: { text: mail.text, html: mail.html },
    });
  });
});
