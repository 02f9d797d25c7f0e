// Passkeys on the demo page, in Chromium with a virtual authenticator (CDP WebAuthn domain: a
// platform authenticator with resident keys and user verification, no hardware): register an
// account, add a passkey, log out, sign in with the passkey, delete it with the password.
// WebAuthn needs a secure context and a domain for the relying party: the page is opened on
// http://localhost, and APP_URL (hence the RP ID and the allowed origin) says so.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { type DemoServer, startDemoServer } from '../../dev/demo-server';
import { freePort } from '../../dev/offline';
import { PASSWORD } from '../support/accounts';
import { launchBrowser } from '../support/browser';
import { startTestApi } from '../support/offline';

const root = join(__dirname, '../..');
const RESULTS_DIR = process.env.TEST_RESULTS_DIR ?? join(tmpdir(), 'account-service-test-results');
const PASSKEYS_SCREENSHOT = join(root, 'docs/passkeys.png');
const EMAIL = 'ada.passkey@example.com';

let api: Awaited<ReturnType<typeof startTestApi>>;
let demo: DemoServer;
let demoOrigin: string;
let context: BrowserContext;
let page: Page;
let profileDir: string;

beforeAll(async () => {
  const demoPort = await freePort();
  demoOrigin = `http://localhost:${demoPort}`;
  api = await startTestApi('browser-passkeys', { CORS_ALLOWED_ORIGINS: demoOrigin, APP_URL: demoOrigin });
  demo = await startDemoServer({ port: demoPort, host: '127.0.0.1', apiUrl: api.url });
  profileDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  context = await launchBrowser(profileDir, {
    viewport: { width: 1000, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    colorScheme: 'light',
  });
  page = context.pages()[0] ?? (await context.newPage());
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
}, 120_000);

afterAll(async () => {
  await context?.close();
  await demo?.close();
  await api?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

test('add a passkey on the demo page, log out, sign in with it, delete it with the password', async () => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const signedIn = page.locator('#signed-in');
  const notice = page.getByRole('status');
  const passkeys = page.locator('#passkeys li');
  try {
    await page.goto(`${demoOrigin}/`);
    await page.locator('html[data-ready="true"]').waitFor();
    const register = page.getByRole('form', { name: 'Create an account' });
    await register.getByLabel('Name').fill('Ada Lovelace');
    await register.getByLabel('Email').fill(EMAIL);
    await register.getByLabel('Password').fill(PASSWORD);
    await register.getByRole('button', { name: 'Register' }).click();
    await signedIn.waitFor();

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
  } catch (error) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `passkeys-flow-${Date.now()}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    if (error instanceof Error) error.message += `\n\nScreenshot of the page: ${file}`;
    throw error;
  }
}, 120_000);
