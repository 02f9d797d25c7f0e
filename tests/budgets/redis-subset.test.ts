// The function bundles carry @upstash/redis cut down to the members the service calls
// (build/lambda-bundle.mjs). These tests build the client and @upstash/ratelimit with exactly the
// functions' bundle options and use them against the datastore: scripts and the rate limiter
// work through the cut-down client, the other commands are gone, and a client release without
// a member the service needs fails the build instead of the first request.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Datastore, startDatastore } from '../../dev/datastore/server';

const root = join(__dirname, '../..');

/** Builds `entry` (an ES module resolved from `resolveDir`) with the Lambda bundle options into `outfile`. */
function buildLikeAFunction(entry: string, resolveDir: string, outfile: string): void {
  const script = `
    import { build } from 'esbuild';
    import { lambdaBundleOptions } from ${JSON.stringify(join(root, 'build/lambda-bundle.mjs'))};
    await build({
      ...lambdaBundleOptions,
      stdin: { contents: process.env.ENTRY, resolveDir: process.env.RESOLVE_DIR, loader: 'js' },
      outfile: process.env.OUTFILE,
      logLevel: 'silent',
    });`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ENTRY: entry, RESOLVE_DIR: resolveDir, OUTFILE: outfile },
    stdio: 'pipe',
  });
}

interface RedisLike {
  [member: string]: unknown;
}
interface Bundled {
  Redis: new (config: Record<string, unknown>) => RedisLike;
  createDatastore: typeof import('../../lib/datastore').createDatastore;
  Ratelimit: {
    new (
      config: Record<string, unknown>,
    ): { limit(id: string): Promise<{ success: boolean; remaining: number }> };
    fixedWindow(limit: number, window: string): unknown;
  };
}

let scratch: string;
let bundled: Bundled;
let datastore: Datastore;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'redis-subset-'));
  const outfile = join(scratch, 'clients.js');
  buildLikeAFunction(
    [
      `export { Redis } from '@upstash/redis';`,
      `export { Ratelimit } from '@upstash/ratelimit';`,
      `export { createDatastore } from './lib/datastore';`,
    ].join('\n'),
    root,
    outfile,
  );
  bundled = require(outfile) as Bundled;
  datastore = await startDatastore({ redisUrl: process.env.DATASTORE_REDIS_URL });
}, 60_000);

afterAll(async () => {
  await datastore?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const client = () =>
  new bundled.Redis({
    url: datastore.url,
    token: datastore.token,
    enableTelemetry: false,
    enableAutoPipelining: false,
    automaticDeserialization: false,
    retry: false,
  });

/** lib/datastore.ts's datastore, bundled as the functions bundle it. */
const datastoreOf = () =>
  bundled.createDatastore({ url: datastore.url, token: datastore.token, timeoutMs: 5000 });

describe('the cut-down @upstash/redis client in the function bundles', () => {
  test("runs lib/datastore.ts's scripts: EVALSHA, with EVAL when the script is not loaded yet", async () => {
    const key = `subset:${randomBytes(6).toString('hex')}`;
    const lua = `-- ${key}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`;

    const first = await datastoreOf().script(lua)([key], [2]);
    const second = await datastoreOf().script(lua)([key], [3]);

    expect([first, second]).toEqual([2, 5]);
  });

  test("runs lib/datastore.ts's read-only scripts (EVALSHA_RO, then EVAL_RO on NOSCRIPT)", async () => {
    const key = `subset:${randomBytes(6).toString('hex')}`;
    const source = `-- ${key}\nreturn redis.call('EXISTS', KEYS[1])`;
    const readOnly = datastoreOf().script(source, { readOnly: true });

    await expect(readOnly([key], [])).resolves.toBe(0);
    await expect(readOnly([key], [])).resolves.toBe(0);
  });

  test('keeps only the members the service calls', () => {
    const redis = client();

    expect(['eval', 'evalsha', 'evalRo', 'evalshaRo'].map((m) => typeof redis[m])).toEqual(
      Array(4).fill('function'),
    );
    expect(
      ['createScript', 'get', 'set', 'hset', 'del', 'pipeline', 'multi', 'scan'].map((m) => redis[m]),
    ).toEqual(Array(8).fill(undefined));
  });

  test('serves @upstash/ratelimit: a fixed window admits its limit, then refuses', async () => {
    const ratelimit = new bundled.Ratelimit({
      redis: client(),
      prefix: `subset-rl:${randomBytes(6).toString('hex')}`,
      limiter: bundled.Ratelimit.fixedWindow(2, '60 s'),
      analytics: false,
      timeout: 0,
      ephemeralCache: false,
    });

    const results = [];
    for (let i = 0; i < 3; i++) results.push((await ratelimit.limit('203.0.113.9')).success);

    expect(results).toEqual([true, true, false]);
  });

  test('a client release whose Redis class lacks a kept member fails the build, naming it', () => {
    const fake = join(scratch, 'fake');
    const pkg = join(fake, 'node_modules/@upstash/redis');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@upstash/redis', module: 'nodejs.mjs' }),
    );
    writeFileSync(join(pkg, 'nodejs.mjs'), `export { Redis } from './chunk-FAKE.mjs';\n`);
    writeFileSync(
      join(pkg, 'chunk-FAKE.mjs'),
      `var Redis = class { client; opts; enableTelemetry; enableAutoPipelining; constructor() {}\n` +
        `  addTelemetry = () => {}; eval = () => {}; get = () => {}; };\nexport { Redis };\n`,
    );

    const build = () =>
      buildLikeAFunction(`export { Redis } from '@upstash/redis';`, fake, join(fake, 'out.js'));

    expect(build).toThrow(/Redis no longer has evalsha/);
  });
});
