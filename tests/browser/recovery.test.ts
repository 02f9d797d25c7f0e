// Email ownership and recovery as a person does it, in Chromium: register on the demo page, open the
// local mailbox (the SES v2 emulator npm start runs), follow the verification link, forget the
// password, follow the reset link, choose a new password, end up signed in. The mail goes out
// through the real mail function, invoked asynchronously by serverless offline, to the emulator.

import { join } from 'node:path';
import type { StoredMail } from '../../dev/mailbox';
import { PASSWORD } from '../support/accounts';
import { readmeScreenshot, useDemoPage, withScreenshotOnFailure } from '../support/demo-page';

const _root = join(__dirname, '../..');
// The README's pictures of the flow, rewritten by every run.
const MAILBOX_SCREENSHOT = readmeScreenshot('mailbox.png');
const RESET_SCREENSHOT = readmeScreenshot('reset-password.png');

const NEW_PASSWORD = 'a fresh passphrase for Ada';
const EMAIL = 'ada.recovery@example.com';

// Links in the mail point at the demo page, as `npm start` sets it up.
const demo = useDemoPage({ name: 'browser-recovery', mailLinks: true });

/** The link of the `count`-th mail to EMAIL that links to `page`, once it has arrived (≤ 15 s). */
async function mailedLink(linkPage: 'verify-email' | 'reset-password', count = 1): Promise<string> {
  const pattern = new RegExp(`${demo.origin}/${linkPage}#token=[A-Za-z0-9_%.-]+`);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const links = (await demo.api.mailbox.mails())
      .filter((mail: StoredMail) => mail.destination.to.includes(EMAIL))
      .map((mail: StoredMail) => pattern.exec(mail.body.text ?? '')?.[0])
      .filter((link): link is string => link !== undefined);
    if (links.length >= count) return links[count - 1] as string;
    if (Date.now() > deadline) throw new Error(`no ${linkPage} link mailed to ${EMAIL}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('register → mailbox → verify link → forgot password → reset link → new password → signed in', async () => {
  const { page, api } = demo;
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const signedIn = page.locator('#signed-in');
  const notice = page.getByRole('status');
  const verified = page.locator('#profile [data-field="emailVerified"]');
  await withScreenshotOnFailure(page, 'recovery-flow', async () => {
    // Register on the demo page: signed in, the address not yet verified.
    await page.goto(`${demo.origin}/`);
    await page.locator('html[data-ready="true"]').waitFor();
    const register = page.getByRole('form', { name: 'Create an account' });
    await register.getByLabel('Name').fill('Ada Lovelace');
    await register.getByLabel('Email').fill(EMAIL);
    await register.getByLabel('Password').fill(PASSWORD);
    await register.getByRole('button', { name: 'Register' }).click();
    await signedIn.waitFor();
    await expect(verified.textContent()).resolves.toBe('not yet: follow the link we mailed you');

    // The mailbox, as a person sees it: the emulator's own page lists the verification mail.
    const verifyLink = await mailedLink('verify-email');
    await page.goto(api.mailbox.url);
    await page.getByText('Confirm your email address').first().waitFor();
    await page.screenshot({ path: MAILBOX_SCREENSHOT, fullPage: false });

    // Follow the link: the page confirms it, and takes the token out of the address bar.
    await page.goto(verifyLink);
    await notice.getByText(`Thank you: ${EMAIL} is confirmed.`).waitFor();
    expect(page.url()).toBe(`${demo.origin}/`);
    // Still signed in across the navigation (the refresh cookie), the profile now verified.
    await signedIn.waitFor();
    await expect(verified.textContent()).resolves.toBe('yes');
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await notice.getByText('You are logged out.').waitFor();

    // Forgot the password: the same answer whether or not the address has an account.
    const forgot = page.getByRole('form', { name: 'Forgot your password?' });
    await forgot.getByLabel('Email').fill(EMAIL);
    await forgot.getByRole('button', { name: 'Send me a link' }).click();
    await notice.getByText(`If ${EMAIL} has an account, a link to choose a new password`).waitFor();

    // Follow the reset link, choose a new password: signed in, every other session gone.
    await page.goto(await mailedLink('reset-password'));
    const reset = page.getByRole('form', { name: 'Choose a new password' });
    await reset.waitFor();
    expect(page.url()).toBe(`${demo.origin}/`);
    await reset.getByLabel('New password').fill(NEW_PASSWORD);
    await page.screenshot({ path: RESET_SCREENSHOT, fullPage: false });
    await reset.getByRole('button', { name: 'Set new password' }).click();
    await signedIn.waitFor();
    await notice.getByText('Your new password is set, Ada Lovelace.').waitFor();
    await expect(verified.textContent()).resolves.toBe('yes');

    // The old password is dead, the new one logs in.
    const logIn = async (password: string) =>
      (
        await fetch(`${api.url}/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: EMAIL, password }),
        })
      ).status;
    expect(await logIn(PASSWORD)).toBe(401);
    expect(await logIn(NEW_PASSWORD)).toBe(200);
    expect(pageErrors).toEqual([]);
  });
}, 120_000);
