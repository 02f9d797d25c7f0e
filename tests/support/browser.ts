// Headless Chromium for the browser tests, from npm (@sparticuz/chromium): nothing to install
// beyond `npm ci`. The package is ESM and reads `import.meta.url`, which jest's CommonJS transform
// cannot keep, so a short child process asks it to unpack the binary and prints the path.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium, type LaunchOptions } from 'playwright-core';

/**
 * Flags for a headless run on a closed network: no background connections (they are refused here,
 * many at a time), no sandbox (tests run as root). The package's own list is not used whole: it
 * turns off web security, and the demo test checks CORS and CSP as a user's browser applies them.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-domain-reliability',
  '--no-pings',
  '--font-render-hinting=none',
  '--use-gl=angle',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

let executable: string | undefined;

/**
 * Where the binary is unpacked: a folder of the project's own, per package version. The package
 * unpacks into the temp folder and reuses any `<tmpdir>/chromium` without checking its version, so
 * the shared /tmp could hand us another project's (or another version's) browser.
 */
const PACKAGE_DIR = join(__dirname, '../../node_modules/@sparticuz/chromium');
const { version } = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
  version: string;
};
const UNPACK_DIR = join(__dirname, '../../node_modules/.cache', `sparticuz-chromium-${version}`);

/** Unpacks the npm Chromium (≈2.5 s the first time, then cached in UNPACK_DIR) and returns its path. */
export function chromiumPath(): string {
  mkdirSync(UNPACK_DIR, { recursive: true });
  executable ??= execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "import c from '@sparticuz/chromium'; process.stdout.write(await c.executablePath());",
    ],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TMPDIR: UNPACK_DIR } },
  ).trim();
  return executable;
}

/** A fresh persistent browser context in `profileDir` (playwright's way to take a user-data-dir). */
export function launchBrowser(
  profileDir: string,
  options: Parameters<typeof chromium.launchPersistentContext>[1] = {},
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    args: ARGS,
    headless: true,
    ...options,
  } satisfies LaunchOptions);
}
