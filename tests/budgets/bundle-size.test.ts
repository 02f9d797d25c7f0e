// Bundle-size budgets (issue 5): every byte of a Lambda bundle is parsed at each cold start.
// Functions that never see a password must not ship (or even mention) the Argon2 addon; those
// that hash get a little more room. The native addon itself ships beside the bundle and is
// not counted. The bundles are built as they ship: with @upstash/redis's client cut down to the
// members the service calls (build/lambda-bundle.mjs), which is most of the room they have.
//
// The build runs the project's own esbuild.config.mjs, from a copy placed in a scratch tree
// whose every other entry links back to this one: it reads the same sources and config, but
// writes its dist/ there. Rebuilding dist/functions in place would delete bundles from under
// anything serving them meanwhile (the e2e suite, `npm start`).
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES, type Route } from '../../lib/routes';
import VERSION_2 from './version-2-bundles.json';

const root = join(__dirname, '../..');
const KIB = 1024;
/**
 * `webauthn`: the two functions that verify a passkey ceremony carry the light verifier
 * (lib/passkeys/verifier.ts: @oslojs/webauthn, @oslojs/cbor and what they import, ≈ 27 KiB), no
 * longer @simplewebauthn/server's ≈ 430 KiB. Every bundle also carries lib/aws.ts (SigV4 for SSM and
 * Lambda without the AWS SDK the runtime provides) and the cookie transport (lib/cookies/).
 *
 * After all of version 3 merged the bundles had grown to light ≤ 176.2, Argon2 ≤ 200.4 and WebAuthn
 * ≤ 215.1 KiB. Each function now bundles only its own route row (build/lambda-bundle.mjs,
 * `routeRowsOf`: −9.3 KiB everywhere) and the limited functions a fixed window of their own
 * (lib/fixed-window.ts) instead of @upstash/ratelimit (−31 KiB): measured light ≤ 158.0 (the social
 * log-in callbacks, with oauth4webapi), Argon2 ≤ 159.7, WebAuthn ≤ 174.5 KiB
 * (docs/performance.md, "Bundles after version 3"; `node build/bundle-inputs.mjs <fn>` lists what a
 * bundle holds).
 *
 * Issue 26 then asked the two passkey verifiers for ≤ 150 KiB. Each now bundles only its own
 * ceremony, the verifier reads the fixed layouts itself (no pure-JS SHA-2, no attestation-format
 * parsers), only the seven session functions build the access service, only the social log-in
 * functions read its configuration, and the public documents carry no datastore client: measured
 * light ≤ 151.6 (the social log-in callbacks), Argon2 ≤ 152.5, WebAuthn ≤ 147.4 KiB. Then SigV4
 * signed by lib/aws.ts itself instead of aws4fetch (−5.9 KiB everywhere), and each function handed
 * only what its route runs: the Lua helpers its scripts list, the cookie transport (11 functions),
 * the token signer (those that issue sessions), the session touch (those whose reads refresh
 * `lastUsedAt`), social log-in's configuration rows (its functions): measured light ≤ 142.0,
 * Argon2 ≤ 144.4, WebAuthn ≤ 138.3 KiB. Then access tokens signed with node:crypto instead of
 * jose's `SignJWT` (the functions that issue them), jose's verifier handed in only where a route
 * takes a bearer token, and the scripts' Lua compacted token by token (build/lua-compact.cjs):
 * measured light ≤ 136.4 (the social log-in callbacks), Argon2 ≤ 138.9, WebAuthn ≤ 130.7 KiB.
 * These budgets hold that line with about 1–2 KiB of room.
 */
const BUDGET_BYTES = { light: 138 * KIB, hashing: 140 * KIB, webauthn: 132 * KIB };
const WEBAUTHN = '@oslojs/webauthn';

const ARGON2 = '@node-rs/argon2';

/** The functions the build config bundles: every functions/*.ts. */
const functionNames = readdirSync(join(root, 'functions'))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<
    string,
    {
      imports: Array<{ path: string; kind: string; external?: boolean }>;
      inputs: Record<string, { bytesInOutput: number }>;
    }
  >;
}

let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'bundle-size-'));
  for (const entry of readdirSync(root)) {
    if (entry !== 'dist' && entry !== 'esbuild.config.mjs')
      symlinkSync(join(root, entry), join(scratch, entry));
  }
  copyFileSync(join(root, 'esbuild.config.mjs'), join(scratch, 'esbuild.config.mjs'));
  execFileSync(process.execPath, [join(scratch, 'esbuild.config.mjs'), 'functions'], {
    cwd: scratch,
    stdio: 'pipe',
  });
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const bundlePath = (name: string) => join(scratch, 'dist/functions', name, 'index.js');
const bundleText = (name: string) => readFileSync(bundlePath(name), 'utf8');
const bundleBytes = (name: string) => statSync(bundlePath(name)).size;
/** Every .ts file under `dir` (of the project). */
const sourceFiles = (dir: string): string[] =>
  readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(root, dir, file));
const metafile = (name: string): Metafile =>
  JSON.parse(readFileSync(join(scratch, 'dist/meta', `${name}.json`), 'utf8')) as Metafile;

/**
 * Whether the bundle loads the Argon2 addon: its metafile lists the package as an external
 * import of the output (`require(…)`, or `import(…)`, which esbuild keeps for a lazy load).
 */
function loadsArgon2(name: string): boolean {
  const imported = Object.values(metafile(name).outputs).some((output) =>
    output.imports.some((i) => i.path === ARGON2),
  );
  const required = new RegExp(`\\b(?:require|import)\\(\\s*["'\`]${ARGON2}["'\`]\\s*\\)`).test(
    bundleText(name),
  );
  if (imported !== required) throw new Error(`${name}: metafile and bundle disagree about ${ARGON2}`);
  return imported;
}

/**
 * The functions serverless.yml sizes for hashing (`memorySize: ${self:custom.argon2MemorySize}`:
 * Lambda's CPU share grows with memory, and Argon2 is CPU-bound).
 */
function functionsSizedForArgon2(): string[] {
  const yml = readFileSync(join(root, 'serverless.yml'), 'utf8');
  const section = yml.slice(yml.search(/^functions:/m));
  const blocks = section.split(/^ {2}(?=[\w-]+:\s*$)/m).slice(1);
  return blocks
    .filter((block) => /^\s+memorySize:\s*\$\{self:custom\.argon2MemorySize\}/m.test(block))
    .map((block) => block.slice(0, block.indexOf(':')))
    .sort();
}

/** Whether the bundle holds the WebAuthn verifier (code of it in the output, not just loaded and shaken off). */
const verifiesWebAuthn = (name: string): boolean =>
  Object.values(metafile(name).outputs).some((output) =>
    Object.keys(output.inputs).some((input) => input.includes(`node_modules/${WEBAUTHN}/`)),
  );

describe('bundle sizes (minified, native addon excluded)', () => {
  test.each(functionNames)(
    '%s is within its budget (138 KiB, with Argon2 140 KiB, with the WebAuthn verifier 132 KiB)',
    (name) => {
      // Prepare
      const budget = verifiesWebAuthn(name)
        ? BUDGET_BYTES.webauthn
        : loadsArgon2(name)
          ? BUDGET_BYTES.hashing
          : BUDGET_BYTES.light;

      // Act
      const bytes = statSync(bundlePath(name)).size;

      // Assess (in KiB, unrounded, so a failure reads as the budget does)
      expect(bytes / KIB).toBeLessThanOrEqual(budget / KIB);
    },
  );

  test.each(functionNames)(
    '%s carries no route row but its own (build/lambda-bundle.mjs, routeRowsOf)',
    (name) => {
      // A row, minified, is an object literal that starts with its function: `{fn:"<name>",…}`.
      const rows = [...new Set([...bundleText(name).matchAll(/\bfn:"([a-z0-9-]+)"/g)].map((m) => m[1]))];
      expect(rows.filter((fn) => fn !== name)).toEqual([]);
    },
  );

  // The full configuration (`parseConfig`, which reads social log-in's section) is parsed by the
  // social log-in builders alone; the build gives their functions the OAUTH_* rows, and no other.
  test('only lib/oauth/services.ts parses the full configuration', () => {
    const callers = [...sourceFiles('lib'), ...sourceFiles('functions')].filter(
      (file) => !file.endsWith('lib/config.ts') && /\bparseConfig\(/.test(readFileSync(file, 'utf8')),
    );
    expect(callers.map((file) => file.slice(root.length + 1))).toEqual(['lib/oauth/services.ts']);
  });

  test.each(functionNames)(
    '%s carries social log-in’s configuration rows exactly when it builds its services',
    (name) => {
      const builds = Object.values(metafile(name).outputs).some((output) =>
        Object.entries(output.inputs).some(
          ([input, { bytesInOutput }]) => /(^|\/)lib\/oauth\/services\.ts$/.test(input) && bytesInOutput > 0,
        ),
      );
      expect([name, bundleText(name).includes('OAUTH_GOOGLE_CLIENT_ID')]).toEqual([name, builds]);
    },
  );

  // Issue 26: no function's bundle grows past its version 2 size.
  test.each(Object.keys(VERSION_2.bytes))('%s is no larger than in version 2 (issue 26)', (name) => {
    const allowed = (VERSION_2.bytes as Record<string, number>)[name] ?? 0;
    expect([name, bundleBytes(name) <= allowed]).toEqual([name, true]);
  });

  /** Whether the bundle holds `input` (a path ending), some of it kept. */
  const carries = (name: string, input: RegExp) =>
    Object.values(metafile(name).outputs).some((output) =>
      Object.entries(output.inputs).some(
        ([path, { bytesInOutput }]) => input.test(path) && bytesInOutput > 0,
      ),
    );

  // The verifying half of jose (≈5 KiB) is handed in by the functions whose route takes a bearer
  // token (lib/tokens.ts `withBearerAuth`), and only those carry it.
  test.each(functionNames)(
    '%s carries jose’s jwtVerify exactly when its route takes a bearer token',
    (name) => {
      const route = (ROUTES as readonly Route[]).find((row) => row.fn === name);
      const takesBearer = route !== undefined && (route.auth || route.optionalAuth === true);
      expect([name, carries(name, /node_modules\/jose\/dist\/webapi\/jwt\/verify\.js$/)]).toEqual([
        name,
        takesBearer,
      ]);
    },
  );

  // Access tokens are signed by lib/tokens.ts `signAccessToken` (node:crypto): jose's `SignJWT` is
  // left to the social log-in's Apple client secret (lib/oauth/protocol.ts).
  test.each(functionNames)('%s carries jose’s SignJWT only for social log-in’s client secret', (name) => {
    if (!carries(name, /node_modules\/jose\/dist\/webapi\/jwt\/sign\.js$/)) return;
    expect([name, carries(name, /(^|\/)lib\/oauth\/protocol\.ts$/)]).toEqual([name, true]);
  });

  test('only the two functions that verify a passkey ceremony carry the WebAuthn verifier', () => {
    expect(functionNames.filter(verifiesWebAuthn)).toEqual(['add-passkey', 'passkey-login']);
  });

  test('no function carries @simplewebauthn/server or an AWS SDK client', () => {
    for (const name of functionNames) {
      const { inputs, outputs } = metafile(name);
      expect(Object.keys(inputs).filter((input) => input.includes('node_modules/@simplewebauthn/'))).toEqual(
        [],
      );
      const sdk = Object.values(outputs).flatMap((o) =>
        o.imports.filter((i) => i.path.startsWith('@aws-sdk/')),
      );
      // The mail function alone sends mail through the runtime's SES client.
      expect(sdk.map((i) => i.path)).toEqual(name === 'send-mail' ? ['@aws-sdk/client-sesv2'] : []);
    }
  });

  // Its first call builds an ICU collator, ≈12 ms of a cold start; lists sort with lib/records.ts byCodeUnits.
  test.each(functionNames)('%s never calls localeCompare', (name) => {
    expect(bundleText(name)).not.toMatch(/\.localeCompare\(/);
  });

  test.each(functionNames)('%s mentions Argon2 only if it loads it', (name) => {
    if (loadsArgon2(name)) return;
    const { inputs, outputs } = metafile(name);
    expect(bundleText(name)).not.toContain(ARGON2);
    expect(Object.keys(inputs).filter((input) => input.includes(`node_modules/${ARGON2}`))).toEqual([]);
    expect(Object.values(outputs).flatMap((o) => o.imports.filter((i) => i.path.startsWith(ARGON2)))).toEqual(
      [],
    );
  });

  test('the functions that load Argon2 are exactly those serverless.yml gives the Argon2 memory size', () => {
    expect(functionNames.filter(loadsArgon2)).toEqual(functionsSizedForArgon2());
  });
});

/**
 * What a cold import loads besides the bundle (a deterministic part of the cold start, where the
 * bench's timings are not): each bundle is `require`d in a fresh process with stdio on pipes, as
 * Lambda runs it, and built from a complete configuration. `node:net` (≈3.5 ms) and the stdio
 * streams are loaded only by code that needs them: lib/http.ts's CloudFront address check, and the
 * logger at its first printed line (lib/logger.ts). The Argon2 addon is loaded after the import,
 * never during it (lib/passwords.ts preloads it once the event loop is free, in the functions
 * that hash on most requests).
 */
describe('cold import', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
    UPSTASH_REDIS_REST_TOKEN: 'test',
    JWT_PRIVATE_KEY: JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'cold' }),
    TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    KEY_PREFIX: 'cold:',
    API_URL: 'http://localhost:3000',
  };
  const probe = [
    'const before = new Set(process.moduleLoadList);',
    'require(process.argv[1]);',
    'const added = process.moduleLoadList.filter((m) => !before.has(m));',
    'const addons = Object.keys(require.cache).filter((path) => path.includes("argon2"));',
    // Written to the fd, not through process.stdout: that stream is one of the things looked for.
    'require("node:fs").writeSync(1, JSON.stringify({ added, addons }));',
  ].join('\n');

  test.each(functionNames)('%s loads no node:net, stdio stream or native addon at import', (name) => {
    const output = execFileSync(process.execPath, ['-e', probe, bundlePath(name)], {
      env,
      stdio: 'pipe',
      encoding: 'utf8',
    });
    const { added, addons } = JSON.parse(output) as { added: string[]; addons: string[] };
    expect(
      added.filter((m) => /^NativeModule (net|tty)$|pipe_wrap|tty_wrap|sync_write_stream/.test(m)),
    ).toEqual([]);
    expect(addons).toEqual([]);
  });

  /** Functions that can hash but whose requests mostly do not (a name change): Argon2 loads when one does. */
  const HASHES_RARELY = ['update-profile'];
  const idle = [
    'require(process.argv[1]);',
    // After the preload's `setImmediate` (queued at import), as a first request's datastore wait would be.
    'setImmediate(() => setImmediate(() => {',
    '  const addons = Object.keys(require.cache).filter((path) => path.includes("argon2"));',
    '  require("node:fs").writeSync(1, JSON.stringify(addons.length > 0));',
    '}));',
  ].join('\n');

  test.each(functionNames)(
    '%s loads Argon2 once the event loop is free in Lambda if most of its requests hash',
    (name) => {
      const output = execFileSync(process.execPath, ['-e', idle, bundlePath(name)], {
        env: { ...env, AWS_LAMBDA_FUNCTION_NAME: name },
        stdio: 'pipe',
        encoding: 'utf8',
      });
      expect(JSON.parse(output)).toBe(loadsArgon2(name) && !HASHES_RARELY.includes(name));
    },
  );
});
