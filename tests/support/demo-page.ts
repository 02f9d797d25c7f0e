// The demo page in Chromium, for the browser tests: the API under serverless offline (with its
// own mailbox), the demo server in front of it, and a fresh browser profile — started before a
// file's tests and stopped after them.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { type DemoServer, startDemoServer } from '../../dev/demo-server';
import { freePort } from '../../dev/offline';
import { launchBrowser } from './browser';
import { startTestApi } from './offline';

/** Where failure screenshots go: outside the work tree unless CI asks for them somewhere it collects. */
const RESULTS_DIR = process.env.TEST_RESULTS_DIR ?? join(tmpdir(), 'account-service-test-results');

export interface DemoPage {
  api: Awaited<ReturnType<typeof startTestApi>>;
  /**
   * The API as the page calls it: on the page's host name, so that page and API are one site and
   * the API's SameSite=Strict refresh cookie is sent (http://localhost:<a> → http://localhost:<b>).
   */
  apiUrl: string;
  /** The page's origin, e.g. http://127.0.0.1:5173. */
  origin: string;
  context: BrowserContext;
  page: Page;
}

/**
 * Starts the API, the demo page and Chromium in `beforeAll`, stops them in `afterAll`. The
 * fields of the answer are there once `beforeAll` has run. `host` is the name the page is
 * opened under (`localhost` where WebAuthn needs a domain); `env` adds API variables, and
 * `mailLinks` points mailed links (APP_URL) at the page.
 */
export function useDemoPage(options: {
  name: string;
  host?: 'localhost' | '127.0.0.1';
  env?: Record<string, string>;
  mailLinks?: boolean;
  viewport?: { width: number; height: number };
  /** The API's port, chosen by the test before `beforeAll` runs (else a free one). */
  apiPort?: () => number;
  /** Runs once the page exists (e.g. to add a virtual authenticator). */
  prepare?: (demo: DemoPage) => Promise<void>;
}): DemoPage {
  const demo = {} as DemoPage;
  let server: DemoServer | undefined;
  let profileDir: string | undefined;
  beforeAll(async () => {
    const port = await freePort();
    demo.origin = `http://${options.host ?? '127.0.0.1'}:${port}`;
    demo.api = await startTestApi(
      options.name,
      {
        CORS_ALLOWED_ORIGINS: demo.origin,
        ...(options.mailLinks ? { APP_URL: demo.origin } : {}),
        ...options.env,
      },
      options.apiPort?.(),
    );
    demo.apiUrl = `http://${options.host ?? '127.0.0.1'}:${demo.api.port}`;
    server = await startDemoServer({ port, host: '127.0.0.1', apiUrl: demo.apiUrl });
    // A fresh user-data-dir per run: launchPersistentContext is how playwright takes one.
    profileDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    demo.context = await launchBrowser(profileDir, {
      viewport: options.viewport ?? { width: 1000, height: 800 },
      locale: 'en-GB',
      timezoneId: 'UTC',
      colorScheme: 'light',
    });
    demo.page = demo.context.pages()[0] ?? (await demo.context.newPage());
    await options.prepare?.(demo);
  }, 120_000);
  afterAll(async () => {
    await demo.context?.close();
    await server?.close();
    await demo.api?.stop();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });
  return demo;
}

/** Runs `body`; on failure saves a screenshot of the page and names it in the error. */
export async function withScreenshotOnFailure(
  page: Page,
  name: string,
  body: () => Promise<void>,
): Promise<void> {
  try {
    await body();
  } catch (error) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${name}-${Date.now()}.png`);
    const saved = await page
      .screenshot({ path: file, fullPage: true })
      .then(() => true)
      .catch(() => false);
    if (saved && error instanceof Error) error.message += `\n\nScreenshot of the page: ${file}`;
    throw error;
  }
}

/**
 * Where a browser test writes a picture the README shows: a git-ignored folder (dist/screenshots),
 * so `npm test` leaves the checkout clean; `npm run screenshots` writes them into docs/ instead.
 */
export function readmeScreenshot(name: string): string {
  const root = join(__dirname, '../..');
  const folder = process.env.README_SCREENSHOTS === '1' ? join(root, 'docs') : join(root, 'dist/screenshots');
  mkdirSync(folder, { recursive: true });
  return join(folder, name);
}
