// Passwordless email on the demo page, in Chromium, as people use it: ask for a mail on one
// browser, open its link in another (a fresh browser with a profile of its own, as a phone's mail
// app would), and there be signed in — the account made by that link. Then, back on the first
// browser, ask again and type the mail's code instead. Mail goes out through the real mail
// function, invoked asynchronously by serverless offline, to the SES emulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { StoredMail } from '../../dev/mailbox';
import { launchBrowser } from '../support/browser';
import { useDemoPage, withScreenshotOnFailure } from '../support/demo-page';

const EMAIL = 'grace.passwordless@example.com';

// Links in the mail point at the demo page, as `npm start` sets it up.
const demo = useDemoPage({ name: 'browser-email-sign-in', mailLinks: true });

/** The link and code of the `count`-th sign-in mail to EMAIL, once it has arrived (≤ 15 s). */
async function signInMail(count: number): Promise<{ link: string; code: string; subject: string }> {
  const linkPattern = new RegExp(`${demo.origin}/sign-in#token=[A-Za-z0-9_%.-]+`);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const mails = (await demo.api.mailbox.mails()).filter(
      (mail: StoredMail) => mail.destination.to.includes(EMAIL) && linkPattern.test(mail.body.text ?? ''),
    );
    const mail = mails[count - 1];
    if (mail) {
      const text = mail.body.text ?? '';
      return {
        link: linkPattern.exec(text)?.[0] as string,
        code: /code where you asked: (\d{6})/.exec(text)?.[1] as string,
        subject: mail.subject,
      };
    }
    if (Date.now() > deadline) throw new Error(`no sign-in mail #${count} to ${EMAIL}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Asks for a sign-in mail on the page's "Sign in with email" form. */
async function askForMail(page: Page) {
  const form = page.getByRole('form', { name: 'Sign in with email' });
  await form.getByLabel('Email').fill(EMAIL);
  await form.getByRole('button', { name: 'Email me a link' }).click();
  await page
    .getByRole('status')
    .getByText(`Check your mail: a link and a code are on their way to ${EMAIL}.`)
    .waitFor();
}

test('ask on one browser, open the link in another: signed up there; then sign in here with the code', async () => {
  const { page } = demo;
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await withScreenshotOnFailure(page, 'email-sign-in-flow', async () => {
    await page.goto(`${demo.origin}/`);
    await page.locator('html[data-ready="true"]').waitFor();

    // Ask: the page says "check your mail" and shows the code box.
    await askForMail(page);
    const codeForm = page.getByRole('form', { name: 'Check your mail' });
    await codeForm.getByLabel('Code from the mail').waitFor();
    const first = await signInMail(1);
    expect(first.subject).toContain('Create your');

    // The link, opened in a browser that never saw this page: no state of the first one there.
    const profileDir = mkdtempSync(join(tmpdir(), 'chromium-profile-other-'));
    const other = await launchBrowser(profileDir, { locale: 'en-GB', timezoneId: 'UTC' });
    try {
      const phone = other.pages()[0] ?? (await other.newPage());
      const phoneErrors: string[] = [];
      phone.on('pageerror', (error) => phoneErrors.push(error.message));
      await withScreenshotOnFailure(phone, 'email-sign-in-other-browser', async () => {
        await phone.goto(first.link);
        await phone.locator('#signed-in').waitFor();
        await phone
          .getByRole('status')
          .getByText('Welcome, grace.passwordless. Your account is ready.')
          .waitFor();
        await expect(phone.locator('#profile [data-field="email"]').textContent()).resolves.toBe(EMAIL);
        await expect(phone.locator('#profile [data-field="emailVerified"]').textContent()).resolves.toBe(
          'yes',
        );
        // The token left the address bar at once.
        expect(phone.url()).toBe(`${demo.origin}/`);
      });
      expect(phoneErrors).toEqual([]);
    } finally {
      await other.close();
      rmSync(profileDir, { recursive: true, force: true });
    }

    // The first browser: the link was spent, so its code is too; ask again and type the new code.
    await codeForm.getByRole('button', { name: 'Use another address' }).click();
    await askForMail(page);
    const second = await signInMail(2);
    expect(second.subject).toContain('Sign in to');
    await codeForm.getByLabel('Code from the mail').fill(second.code);
    await codeForm.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signed-in').waitFor();
    await page.getByRole('status').getByText('Welcome back, grace.passwordless.').waitFor();
    await expect(page.locator('#profile [data-field="emailVerified"]').textContent()).resolves.toBe('yes');
    expect(pageErrors).toEqual([]);
  });
}, 120_000);
