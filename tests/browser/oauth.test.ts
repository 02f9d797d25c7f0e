// Social log-in on the demo page, in Chromium, against the local identity provider: sign in with
// it (its own sign-in page), see the profile, open the callback URL again (nothing happens twice),
// unlink refused for the last way in, log out.
import { type LocalIdentityProvider, startIdentityProvider } from '../../dev/identity-provider';
import { freePort } from '../../dev/offline';
import { useDemoPage, withScreenshotOnFailure } from '../support/demo-page';

const EMAIL = 'grace.social@example.com';
const env: Record<string, string> = {};
let twin: LocalIdentityProvider;
let apiPort = 0;

// Before the demo page's own beforeAll: the API must know the provider, the provider the API's URL.
beforeAll(async () => {
  apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  twin = await startIdentityProvider({
    clients: [
      { clientId: 'demo', clientSecret: 'demo-secret', redirectUris: [`${apiUrl}/oauth/oidc/callback`] },
    ],
  });
  Object.assign(env, {
    API_URL: apiUrl,
    OAUTH_OIDC_ISSUER: twin.issuer,
    OAUTH_OIDC_CLIENT_ID: 'demo',
    OAUTH_OIDC_CLIENT_SECRET: 'demo-secret',
    OAUTH_OIDC_NAME: 'Local identity provider',
  });
});
afterAll(async () => {
  await twin?.close();
});

const demo = useDemoPage({ name: 'browser-oauth', env, apiPort: () => apiPort });

test('sign in with the local provider, see the profile, the callback URL again does nothing, unlink refused, log out', async () => {
  const { page } = demo;
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The API's 302 names the callback page with its one-time code: kept to open it again later.
  let callbackUrl = '';
  page.on('response', (response) => {
    const location = response.headers().location ?? '';
    if (location.includes('/oauth-callback#code=')) callbackUrl = location;
  });
  const signInWithProvider = async () => {
    await page.getByRole('button', { name: 'Continue with Local identity provider' }).click();
    await page.getByRole('heading', { name: 'Local identity provider' }).waitFor();
    await page.getByLabel('Email', { exact: true }).fill(EMAIL);
    await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signed-in').waitFor();
  };
  await withScreenshotOnFailure(page, 'oauth-flow', async () => {
    await page.goto(`${demo.origin}/`);
    await page.locator('html[data-ready="true"]').waitFor();
    await signInWithProvider();
    await page.locator('#profile').getByText(EMAIL).waitFor();
    await page.getByRole('status').getByText('Welcome, Grace Hopper.').waitFor();
    // The fragment was stripped at once.
    expect(page.url()).toBe(`${demo.origin}/`);
    expect(callbackUrl).toContain('#code=');

    // The callback URL again: its code is spent and its verifier gone, so it signs nobody in. (In
    // cookie mode the page keeps the session of the first sign-in through the reload: log out.)
    await page.goto(callbackUrl);
    await page.locator('html[data-ready="true"]').waitFor();
    await page.getByRole('status').getByText('This sign-in was already finished').waitFor();
    if (await page.locator('#signed-in').isVisible()) {
      await page.getByRole('button', { name: 'Log out', exact: true }).click();
    }
    await page.locator('#signed-out').waitFor();

    // Again through the provider: the same identity signs in to the same account.
    await signInWithProvider();
    await page.getByRole('status').getByText('Welcome back, Grace Hopper.').waitFor();
    const identities = page.locator('#identities li');
    await identities.first().waitFor();
    expect(await identities.count()).toBe(1);
    await page.locator('#has-password').getByText('Password: none').waitFor();
    await page.getByRole('button', { name: 'Unlink' }).click();
    await page.locator('#identities-problem').getByText('last way to sign in').waitFor();
    await page.getByRole('button', { name: 'Link Local identity provider' }).waitFor();

    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.locator('#signed-out').waitFor();
  });
  expect(pageErrors).toEqual([]);
});
