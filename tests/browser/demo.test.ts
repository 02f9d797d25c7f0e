// The demo page in a real browser: headless Chromium (from npm, tests/support/browser.ts, driven
// by playwright-core) loads dev/demo/ from the demo server and calls the API cross-origin: the
// bundles built by the jest global setup, under serverless offline, against the run's
// datastore. The access token lives two seconds here, so the page has to refresh it mid-flow.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD } from '../support/accounts';
import { readmeScreenshot, useDemoPage, withScreenshotOnFailure } from '../support/demo-page';

const root = join(__dirname, '../..');
// The README's screenshot, rewritten by every run: a stale picture would mean the test did not run.
const DOCS_SCREENSHOT = readmeScreenshot('demo-logged-in.png');

const ACCESS_TOKEN_TTL_SECONDS = 2;
const NEW_PASSWORD = 'purple monkey dishwasher 42';
// Every test file has its own KEY_PREFIX, so a fixed email cannot collide with another run.
const EMAIL = 'ada@example.com';

const demo = useDemoPage({
  name: 'browser',
  env: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS) },
});

async function apiCall(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const response = await fetch(`${demo.api.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      // Another device, as it shows in the page's session list.
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

test('the demo page walks the whole account flow in Chromium, cross-origin', async () => {
  const { page, api } = demo;
  await withScreenshotOnFailure(page, 'demo-flow', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // Chromium reports every non-2xx fetch on the console; the page shows those itself.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(message.text());
    });
    const refreshes: string[] = [];
    const unauthorized: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === `${api.url}/sessions/refresh`)
        refreshes.push(request.url());
    });
    page.on('response', (response) => {
      if (response.status() === 401) unauthorized.push(`${response.request().method()} ${response.url()}`);
    });

    const signedIn = page.locator('#signed-in');
    const notice = page.getByRole('status');
    const profile = page.locator('#profile');
    const sessionRows = page.locator('#sessions tr');

    // The page is served with a CSP that lets it reach the API and nothing else.
    const served = await page.goto(`${demo.origin}/`);
    expect(served?.status()).toBe(200);
    expect(served?.headers()['content-security-policy']).toContain(`connect-src ${api.url}`);
    await expect(page.locator('html[data-ready="true"]').waitFor()).resolves.toBeUndefined();
    await expect(page.locator('#api-url').textContent()).resolves.toBe(api.url);

    // Register: first with a password the API refuses, to see its field errors, then properly.
    const register = page.getByRole('form', { name: 'Create an account' });
    await register.getByLabel('Name').fill('Ada Lovelace');
    await register.getByLabel('Email').fill(EMAIL);
    await register.getByLabel('Password').fill('short');
    await register.getByRole('button', { name: 'Register' }).click();
    const registerProblem = register.getByRole('alert');
    await registerProblem.getByText('The request body is not valid.').waitFor();
    await expect(registerProblem.locator('li').first().textContent()).resolves.toMatch(/^password: /);
    await expect(register.getByLabel('Password').getAttribute('aria-invalid')).resolves.toBe('true');
    await register.getByLabel('Password').fill(PASSWORD);
    await register.getByRole('button', { name: 'Register' }).click();

    // The profile, straight from the registration response, and this session marked current.
    await signedIn.waitFor();
    await notice.getByText('Welcome, Ada Lovelace. Your account is ready.').waitFor();
    await expect(profile.locator('[data-field="name"]').textContent()).resolves.toBe('Ada Lovelace');
    await expect(profile.locator('[data-field="email"]').textContent()).resolves.toBe(EMAIL);
    await sessionRows.first().waitFor();
    await expect(sessionRows.count()).resolves.toBe(1);
    await expect(sessionRows.first().textContent()).resolves.toContain('this session');

    // Edit the name (a merge patch).
    const profileForm = page.getByRole('form', { name: 'Edit profile' });
    await profileForm.getByLabel('Name').fill('Ada King');
    await profileForm.getByRole('button', { name: 'Save profile' }).click();
    await notice.getByText('Profile saved.').waitFor();
    await expect(profile.locator('[data-field="name"]').textContent()).resolves.toBe('Ada King');

    // Let the access token expire, then load profile and sessions at once: both calls get 401,
    // and they share a single refresh before retrying.
    await page.waitForTimeout((ACCESS_TOKEN_TTL_SECONDS + 1) * 1000);
    refreshes.length = 0;
    unauthorized.length = 0;
    await page.getByRole('button', { name: 'Reload' }).click();
    await notice.getByText('Profile and sessions reloaded.').waitFor();
    expect(refreshes).toHaveLength(1);
    expect(unauthorized.length).toBeGreaterThanOrEqual(1);
    expect(unauthorized.every((call) => !call.endsWith('/sessions/refresh'))).toBe(true);
    await expect(profile.locator('[data-field="name"]').textContent()).resolves.toBe('Ada King');
    await expect(signedIn.isVisible()).resolves.toBe(true);

    // Change the password: a wrong current password shows the API's detail, the right one works.
    const passwordForm = page.getByRole('form', { name: 'Change password' });
    await passwordForm.getByLabel('Current password').fill('not my password at all');
    await passwordForm.getByLabel('New password').fill(NEW_PASSWORD);
    await passwordForm.getByRole('button', { name: 'Change password' }).click();
    await passwordForm.getByRole('alert').getByText('The current password is incorrect.').waitFor();
    await passwordForm.getByLabel('Current password').fill(PASSWORD);
    await passwordForm.getByRole('button', { name: 'Change password' }).click();
    await notice.getByText('Password changed. Your other sessions were signed out.').waitFor();
    await expect(passwordForm.getByRole('alert').textContent()).resolves.toBe('');

    // Another device logs in; the page lists it and revokes it.
    const other = await apiCall('/sessions', {
      method: 'POST',
      body: { email: EMAIL, password: NEW_PASSWORD },
    });
    expect(other.status).toBe(200);
    await page.getByRole('button', { name: 'Reload' }).click();
    await notice.getByText('Profile and sessions reloaded.').waitFor();
    await expect(sessionRows.count()).resolves.toBe(2);
    const current = page.locator('#sessions tr.current');
    await expect(current.count()).resolves.toBe(1);
    await expect(current.getByRole('button').count()).resolves.toBe(0);
    mkdirSync(join(root, 'docs'), { recursive: true });
    await page.screenshot({ path: DOCS_SCREENSHOT, fullPage: true });
    await page.getByRole('button', { name: /^Revoke session Firefox/ }).click();
    await notice.getByText('Session revoked.').waitFor();
    await expect(sessionRows.count()).resolves.toBe(1);
    // Its refresh token (good for 30 days) is refused now: the session is gone.
    const revoked = await apiCall('/sessions/refresh', {
      method: 'POST',
      body: { refreshToken: other.body.session.refreshToken },
    });
    expect(revoked.status).toBe(401);

    // Log out, then log in again with the new password.
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await notice.getByText('You are logged out.').waitFor();
    await expect(signedIn.isHidden()).resolves.toBe(true);
    const login = page.getByRole('form', { name: 'Log in' });
    await login.getByLabel('Email').fill(EMAIL);
    await login.getByLabel('Password').fill(NEW_PASSWORD);
    await login.getByRole('button', { name: 'Log in' }).click();
    await notice.getByText('Welcome back, Ada King.').waitFor();
    await expect(profile.locator('[data-field="name"]').textContent()).resolves.toBe('Ada King');

    // Delete the account: afterwards the email and password no longer log in.
    const deleteForm = page.getByRole('form', { name: 'Delete account' });
    await deleteForm.getByLabel('Password').fill(NEW_PASSWORD);
    await deleteForm.getByRole('button', { name: 'Delete my account' }).click();
    await notice.getByText('Your account was deleted.').waitFor();
    await expect(signedIn.isHidden()).resolves.toBe(true);
    const refused = await apiCall('/sessions', {
      method: 'POST',
      body: { email: EMAIL, password: NEW_PASSWORD },
    });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_credentials');

    expect(pageErrors).toEqual([]);
  });
}, 120_000);
