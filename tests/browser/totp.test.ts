// Two-step verification on the demo page, in Chromium: register, set up an authenticator app (the
// page draws the QR code of the otpauth URI; the test reads the key as a person's app would and
// computes the codes), confirm, see the recovery codes once, log out, log in with the password
// and then a code, and turn it off again with the password.

import { totpCode } from '../../lib/mfa/totp';
import { PASSWORD } from '../support/accounts';
import { readmeScreenshot, useDemoPage, withScreenshotOnFailure } from '../support/demo-page';
import { mailedLinkToken } from '../support/mail';

// The README's picture of the enrollment, rewritten by every run.
const ENROLL_SCREENSHOT = readmeScreenshot('totp-enrollment.png');
const EMAIL = 'ada.totp@example.com';

const demo = useDemoPage({ name: 'browser-totp', viewport: { width: 1000, height: 900 } });

test('set up an authenticator app from the QR code, log out, log in with the password and a code, turn it off', async () => {
  const { page } = demo;
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const signedIn = page.locator('#signed-in');
  const notice = page.getByRole('status');
  const status = page.locator('#totp-status');
  await withScreenshotOnFailure(page, 'totp-flow', async () => {
    await page.goto(`${demo.origin}/`);
    await page.locator('html[data-ready="true"]').waitFor();
    const register = page.getByRole('form', { name: 'Create an account' });
    await register.getByLabel('Name').fill('Ada Lovelace');
    await register.getByLabel('Email').fill(EMAIL);
    await register.getByLabel('Password').fill(PASSWORD);
    await register.getByRole('button', { name: 'Register' }).click();
    await signedIn.waitFor();

    // Second factors and passkeys need a proved address: the mailed link, opened in another tab.
    const proof = await page.context().newPage();
    await proof.goto(
      `${demo.origin}/verify-email#token=${await mailedLinkToken(demo.api.mailbox, EMAIL, 'verify-email')}`,
    );
    await proof.getByRole('status').getByText(`Thank you: ${EMAIL} is confirmed.`).waitFor();
    await proof.close();
    await status.getByText('Off: logging in needs only your password.').waitFor();

    // Set up: the page shows a QR code (an SVG image drawn from the otpauth URI) and the key.
    const start = page.getByRole('form', { name: 'Set up an authenticator app' });
    await start.getByLabel('Current password').fill(PASSWORD);
    await start.getByRole('button', { name: 'Set up' }).click();
    const qr = page.getByRole('img', { name: 'QR code of your new authenticator key' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const secret = (await page.locator('#totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.locator('#totp-enroll').screenshot({ path: ENROLL_SCREENSHOT });

    // Confirm with the code the app would show now: on, and the recovery codes shown once.
    const confirm = page.getByRole('form', { name: 'Confirm with a code' });
    await confirm.getByLabel('Code from the app').fill(totpCode(secret, Date.now()));
    await confirm.getByRole('button', { name: 'Turn on' }).click();
    await page.locator('#recovery-codes').waitFor();
    await expect(page.locator('#recovery-list li').count()).resolves.toBe(10);
    await status.getByText(/^On since .*; 10 recovery codes left\.$/).waitFor();
    const recoveryCodes = await page.locator('#recovery-list li').allTextContents();

    // Log out, log in: the password alone is not enough any more.
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await notice.getByText('You are logged out.').waitFor();
    await expect(page.locator('#recovery-list li').count()).resolves.toBe(0);
    const login = page.getByRole('form', { name: 'Log in' });
    await login.getByLabel('Email').fill(EMAIL);
    await login.getByLabel('Password').fill(PASSWORD);
    await login.getByRole('button', { name: 'Log in' }).click();
    const mfa = page.getByRole('form', { name: 'Two-step verification' });
    await mfa.waitFor();
    expect(await login.isHidden()).toBe(true);
    expect(await page.locator('#mfa-form').getAttribute('data-mfa-token')).toMatch(/^usr_/);
    // The confirming code's step is spent; the app's next code is within the ±1 step of drift.
    await mfa.getByLabel('Code', { exact: true }).fill(totpCode(secret, Date.now() + 30_000));
    await mfa.getByRole('button', { name: 'Verify' }).click();
    await signedIn.waitFor();
    await notice.getByText('Welcome back, Ada Lovelace.').waitFor();

    // Turning it off takes the password and a current code (here a recovery code).
    const off = page.getByRole('form', { name: 'Turn off two-step verification' });
    await off.getByLabel('Code from the app, or a recovery code').fill(recoveryCodes[0] ?? '');
    await off.getByLabel('Current password').fill('not the password at all');
    await off.getByRole('button', { name: 'Turn off' }).click();
    await off.getByRole('alert').getByText('The current password is incorrect.').waitFor();
    await off.getByLabel('Current password').fill(PASSWORD);
    await off.getByRole('button', { name: 'Turn off' }).click();
    await status.getByText('Off: logging in needs only your password.').waitFor();
    expect(pageErrors).toEqual([]);
  });
}, 120_000);
