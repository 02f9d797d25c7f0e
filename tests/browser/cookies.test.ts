// The cookie transport in a real browser (npm's Chromium, launched without
// --disable-web-security: tests/support/browser.ts): the demo page on http://localhost:<a> calls
// the API on http://localhost:<b> — one site, so the SameSite=Strict `__Host-refresh` cookie
// travels — in cookie mode. A page on http://127.0.0.1:<c> is another site: the attacker.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { PASSWORD } from '../support/accounts';
import { restClient } from '../support/datastore';
import { useDemoPage, withScreenshotOnFailure } from '../support/demo-page';

const EMAIL = 'ada.cookie@example.com';
const demo = useDemoPage({ name: 'browser-cookies', host: 'localhost' });
const redis = restClient({ automaticDeserialization: false });

/** The refresh cookie as the browser holds it (the test sees it; the page must not). */
async function refreshCookie() {
  const cookies = await demo.context.cookies(demo.apiUrl);
  return cookies.find((cookie) => cookie.name === '__Host-refresh');
}

/**
 * The user's sessions in the datastore, each as its refresh state (current hash, spent hashes,
 * expiry): every rotation changes it. `lastUsedAt` is left out: the page's own calls move it.
 */
async function sessionsRecord() {
  const token = (await refreshCookie())?.value ?? '';
  const userId = token.split('.')[0] as string;
  const flat = ((await redis.hgetall(`${demo.api.prefix}sessions:${userId}`)) ?? []) as unknown as string[];
  return flat.map((value) => {
    if (!value.startsWith('{')) return value;
    const { lastUsedAt: _, ...state } = JSON.parse(value) as Record<string, unknown>;
    return state;
  });
}

/** Waits for the page to show the signed-in view with the user's name. */
async function expectSignedIn(page: Page, name = 'Ada Cookie') {
  await page.locator('#signed-in').waitFor();
  await expect(page.locator('#profile [data-field="name"]').textContent()).resolves.toBe(name);
}

/** Every answer of `POST /sessions/refresh` a page gets, by status. */
function watchRefreshes(page: Page): number[] {
  const statuses: number[] = [];
  page.on('response', (response) => {
    if (response.request().method() === 'POST' && response.url() === `${demo.apiUrl}/sessions/refresh`)
      statuses.push(response.status());
  });
  return statuses;
}

test('sign in on the demo page: the cookie is HttpOnly (document.cookie never shows it), a reload keeps the user signed in', async () => {
  const { page } = demo;
  await withScreenshotOnFailure(page, 'cookies-reload', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${demo.origin}/`);
    await page.locator('html[data-ready="true"]').waitFor();

    const register = page.getByRole('form', { name: 'Create an account' });
    await register.getByLabel('Name').fill('Ada Cookie');
    await register.getByLabel('Email').fill(EMAIL);
    await register.getByLabel('Password').fill(PASSWORD);
    await register.getByRole('button', { name: 'Register' }).click();
    await expectSignedIn(page);

    // The browser holds the cookie, with the attributes the API gave it; the page cannot read it.
    const cookie = await refreshCookie();
    expect(cookie).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      path: '/',
      domain: 'localhost',
    });
    expect(cookie?.value).toMatch(/^usr_[\w-]{22}\.ses_[\w-]{22}\.[\w-]{43}$/);
    await expect(page.evaluate(() => document.cookie)).resolves.not.toContain('__Host-refresh');
    await expect(page.evaluate(() => document.cookie)).resolves.not.toContain(cookie?.value as string);
    // Nothing kept in Web Storage either: the access token lives in the module's memory.
    await expect(page.evaluate(() => localStorage.length + sessionStorage.length)).resolves.toBe(0);

    // Reload: the page gets a new access token from the cookie and shows the profile again.
    const refreshes = watchRefreshes(page);
    await page.reload();
    await expectSignedIn(page);
    await page.getByRole('status').getByText('You are still signed in, Ada Cookie.').waitFor();
    expect(refreshes).toEqual([200]);
    const rotated = await refreshCookie();
    expect(rotated?.value).not.toBe(cookie?.value);
    await expect(page.evaluate(() => document.cookie)).resolves.not.toContain('__Host-refresh');
    expect(pageErrors).toEqual([]);
  });
}, 120_000);

test('two tabs that renew at the same moment both stay signed in, and the session is not revoked', async () => {
  const first = demo.page;
  const second = await demo.context.newPage();
  await withScreenshotOnFailure(second, 'cookies-two-tabs', async () => {
    await second.goto(`${demo.origin}/`);
    await expectSignedIn(second);
    const statuses = [watchRefreshes(first), watchRefreshes(second)];

    // Act: both tabs reload at once; each renews from the cookie on load.
    await Promise.all([first.reload(), second.reload()]);

    // Assess: each tab renewed once, in turn (the Web Lock): no 401, no reuse, one session.
    await Promise.all([expectSignedIn(first), expectSignedIn(second)]);
    expect(statuses).toEqual([[200], [200]]);
    for (const tab of [first, second]) {
      await tab.getByRole('button', { name: 'Reload' }).click();
      await tab.getByRole('status').getByText('Profile and sessions reloaded.').waitFor();
      await expect(tab.locator('#sessions tr').count()).resolves.toBe(1);
    }
  });
  await second.close();
}, 120_000);

test('without Web Locks, the API grace window and one retry keep both racing tabs signed in', async () => {
  // Tabs of a browser (or an older page) that does not take the lock: their renewals can race.
  await demo.context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
  });
  const tabs = [await demo.context.newPage(), await demo.context.newPage()];
  await withScreenshotOnFailure(tabs[0] as Page, 'cookies-no-locks', async () => {
    await Promise.all(tabs.map((tab) => tab.goto(`${demo.origin}/`)));
    await expect(tabs[0]?.evaluate(() => navigator.locks)).resolves.toBeUndefined();
    await Promise.all(tabs.map((tab) => expectSignedIn(tab)));
    for (let round = 0; round < 3; round += 1) {
      await Promise.all(tabs.map((tab) => tab.reload()));
      await Promise.all(tabs.map((tab) => expectSignedIn(tab)));
    }
    for (const tab of tabs) {
      await tab.getByRole('button', { name: 'Reload' }).click();
      await tab.getByRole('status').getByText('Profile and sessions reloaded.').waitFor();
    }
  });
  await Promise.all(tabs.map((tab) => tab.close()));
}, 120_000);

/** A page on another site that attacks the API with the browser's ambient credentials. */
function attackerPage(apiUrl: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Win a prize</title>
<iframe name="sink"></iframe>
<form id="csrf" method="POST" action="${apiUrl}/sessions/refresh" enctype="text/plain" target="sink">
  <input type="hidden" name='{"refreshToken":"' value='x"}'>
</form>
<script>
  const results = {};
  const attempt = (name, request) =>
    request.then((r) => { results[name] = r.type + ' ' + r.status; }, (e) => { results[name] = 'blocked'; });
  document.getElementById('csrf').submit();
  Promise.all([
    attempt('cors', fetch('${apiUrl}/sessions/refresh', {
      method: 'POST', credentials: 'include', headers: { 'Session-Transport': 'cookie' } })),
    attempt('corsJson', fetch('${apiUrl}/sessions/refresh', {
      method: 'POST', credentials: 'include',
      headers: { 'Session-Transport': 'cookie', 'Content-Type': 'application/json' }, body: '{}' })),
    attempt('noCors', fetch('${apiUrl}/sessions/refresh', {
      method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' })),
  ]).then(() => { document.body.dataset.results = JSON.stringify(results); });
</script>`;
}

test('a page on another site (form POST, credentialed and no-cors fetches) gets no session and rotates nothing', async () => {
  // Prepare: the victim is signed in on the demo page; the attacker serves a page on 127.0.0.1.
  const victim = demo.page;
  await victim.goto(`${demo.origin}/`);
  await expectSignedIn(victim);
  const cookieBefore = await refreshCookie();
  const recordBefore = await sessionsRecord();
  const html = attackerPage(demo.apiUrl);
  const server: Server = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const attacker = await demo.context.newPage();
  const arrived: { url: string; cookie: string | undefined; status: number }[] = [];
  attacker.on('response', async (response) => {
    if (!response.url().startsWith(demo.apiUrl)) return;
    const headers = await response.request().allHeaders();
    arrived.push({ url: response.url(), cookie: headers.cookie, status: response.status() });
  });

  try {
    await withScreenshotOnFailure(attacker, 'cookies-csrf', async () => {
      // Act
      await attacker.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await attacker.locator('body[data-results]').waitFor();
      await attacker.waitForTimeout(500);

      // Assess: the custom header needs a preflight, which the API answers for its own origins
      // only; what did reach it (the form, the no-cors fetch) carried no cookie and got no session.
      const results = JSON.parse((await attacker.locator('body').getAttribute('data-results')) as string);
      expect(results).toEqual({ cors: 'blocked', corsJson: 'blocked', noCors: 'opaque 0' });
      expect(arrived.length).toBeGreaterThanOrEqual(1);
      for (const request of arrived) {
        expect(request.cookie ?? '').not.toContain('__Host-refresh');
        expect(request.status).not.toBe(200);
      }
      expect((await refreshCookie())?.value).toBe(cookieBefore?.value);
      expect(await sessionsRecord()).toEqual(recordBefore);
    });
  } finally {
    await attacker.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // The victim's cookie still works: nothing was spent.
  const refreshes = watchRefreshes(victim);
  await victim.reload();
  await expectSignedIn(victim);
  expect(refreshes).toEqual([200]);
}, 120_000);
