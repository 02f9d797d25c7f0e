// Passkeys on the demo page, in Chromium with a virtual authenticator (CDP WebAuthn domain: a
// platform authenticator with resident keys and user verification, no hardware): register an
// account, add a passkey, log out, sign in with the passkey, delete it with the password.
// WebAuthn needs a secure context and a domain for the relying party: the page is opened on
// http://localhost, and APP_URL (hence the RP ID and the allowed origin) says so.

import { PASSWORD } from '../support/accounts';
import { readmeScreenshot, useDemoPage, withScreenshotOnFailure } from '../support/demo-page';
import { mailedLinkToken } from '../support/mail';

const PASSKEYS_SCREENSHOT = readmeScreenshot('passkeys.png');
const EMAIL = 'ada.passkey@example.com';

const demo = useDemoPage({
  name: 'browser-passkeys',
  host: 'localhost',
  mailLinks: true,
  viewport: { width: 1000, height: 900 },
  async prepare({ context, page }) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
  },
});

test('add a passkey on the demo page, log out, sign in with it, delete it with the password', async () => {
  const { page } = demo;
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const signedIn = page.locator('#signed-in');
  const notice = page.getByRole('status');
  const passkeys = page.locator('#passkeys li');
  await withScreenshotOnFailure(page, 'passkeys-flow', async () => {
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

    // Add a passkey: the virtual authenticator answers the ceremony.
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await notice.getByText('Passkey added. You can sign in with it now.').waitFor();
    await expect(passkeys.count()).resolves.toBe(1);
    await expect(passkeys.first().textContent()).resolves.toMatch(/^Passkey on .*: added .*, last used —$/);
    await page.locator('#security').screenshot({ path: PASSKEYS_SCREENSHOT });

    // Log out; sign in with the passkey alone.
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await notice.getByText('You are logged out.').waitFor();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await signedIn.waitFor();
    await notice.getByText('Welcome back, Ada Lovelace. Signed in with a passkey.').waitFor();
    await expect(passkeys.first().textContent()).resolves.not.toMatch(/last used —$/);

    // Deleting it takes the password.
    const remove = page.getByRole('form', { name: 'Delete a passkey' });
    await remove.getByLabel('Current password').fill(PASSWORD);
    await remove.getByRole('button', { name: 'Delete passkey' }).click();
    await notice.getByText('Passkey deleted.').waitFor();
    await expect(passkeys.count()).resolves.toBe(0);
    expect(pageErrors).toEqual([]);
  });
}, 120_000);
