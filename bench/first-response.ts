import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as argon2 from '@node-rs/argon2';
import type { JWK } from 'jose';
import { httpEvent } from '../dev/http-event';
import type { Config } from '../lib/config';
import { type Bundle, buildFloor, floorEntry, SCRATCH } from './bundles';
import type { DatastoreProcess } from './datastore-process';
import type { Endpoint } from './endpoints';
import { type Fixtures, PASSWORD } from './fixtures';
import { quantile } from './statistics';
import { floorWork, type WarmLatency } from './warm-latency';

export interface FirstResponse {
  fn: string;
  route: string;
  runs: number;
  /**
   * Median over fresh processes of `require` (services built there) plus the first request, to
   * its answer. Work moved from import into the first call is still counted here.
   */
  medianMs: number;
  /** Median of the import alone, in the same processes. */
  importMs: number;
  /** The same for the floor: the function's third-party imports and a bare handler doing `floorWork`. */
  floorMs: number;
  floorImportMs: number;
  floorWork: string[];
  ratio: number;
  /** Datastore requests of the cold request (median; the floor makes the warm count, `floorWork`). */
  roundTrips: number;
}

/**
 * The production path (issue 26): the functions run without their secrets in the environment and
 * read them from SSM at cold start (a loopback stand-in of GetParameters), and queue mail through
 * a loopback Lambda endpoint, signed with the role-like credentials of `env`.
 */
export interface ProductionPath {
  /** `SSM_PARAMETER_PREFIX`; the stand-in serves `<prefix>/upstash-redis-rest-url`, … */
  prefix: string;
  /** The names the floor asks for (the datastore's URL and token: the floor needs no other). */
  floorParameters: [url: string, token: string];
}

export interface FirstResponseSettings {
  config: Config;
  /** The public half of JWT_PRIVATE_KEY. */
  publicJwk: JWK;
  datastore: DatastoreProcess;
  fixtures: Fixtures;
  /** The environment of the measured processes (production path: no secrets, an SSM prefix). */
  env: NodeJS.ProcessEnv;
  runs: number;
  production?: ProductionPath;
  /** Invocations the loopback Lambda endpoint has answered (bench/run.ts), to check `Endpoint.mail`. */
  lambdaInvocations: { count: number };
}

/** What a floor bundle reads from `BENCH_FLOOR` at import, as a function reads its configuration. */
interface FloorSettings {
  status: number;
  auth: boolean;
  publicJwk: JWK;
  /** The signing key and algorithm, for the endpoints that answer with a new access token. */
  privateJwk: Config['jwt']['privateKey'];
  algorithm: string;
  accessTokenTtlSeconds: number;
  issuer: string;
  audience: string;
  argon2: Endpoint['argon2'];
  argon2Options: { memoryCost: number; timeCost: number; parallelism: number };
  password: string;
  passwordHash: string;
  roundTrips: number;
  url: string;
  token: string;
  key: string;
  /** Production path: the SSM parameters of the datastore URL and token, and the mail function. */
  ssm: [string, string] | null;
  mailFunction: string | null;
}

/**
 * A floor's part of the production path's init phase, as lib/parameters.ts and lib/aws.ts do it:
 * one GetParameters call for the names in `s.ssm` (`s`: the floor's `BENCH_FLOOR` settings), signed
 * by lib/aws.ts (SigV4 on node:crypto, the least code that makes the call) with the environment's
 * credentials, started at import, its answer in `floorParameters`; `floorAws(service, retries)`
 * signs for another service.
 */
export function ssmReadAtImport(): string[] {
  return [
    'import { createAwsService as floorAwsService } from "./lib/aws";',
    'const floorAws = (service, retries) => floorAwsService({ service, retries });',
    'const floorParameters = floorAws("ssm", 2).fetch("/", {',
    '  headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.GetParameters" },',
    '  body: JSON.stringify({ Names: s.ssm, WithDecryption: true }) })',
    '  .then((r) => r.json()).then((r) => s.ssm.map((n) => r.Parameters.find((p) => p.Name === n).Value));',
    'floorParameters.catch(() => undefined);',
  ];
}

/**
 * The entry of a first-response floor: the function's floor imports (bench/bundles.ts `floorEntry`)
 * plus a bare handler doing the endpoint's unavoidable work, as bench/warm-latency.ts `floorOf`
 * defines it. Only what the work needs is imported: the key through node:crypto (as lib/tokens.ts
 * does), jose's `jwtVerify` with pinned options (and lib/tokens.ts's signer where a new access token is issued), Argon2 from the addon shipped beside the bundle,
 * and one raw GET per round trip through the same cut-down @upstash/redis client the functions
 * ship (`client.request`: a GET command is nothing more), configured as in `floorOf` (and without
 * auto-pipelining, as lib/datastore.ts builds it: the cut-down client has no `autoPipeline`).
 */
function firstResponseFloorEntry(
  bundle: Bundle,
  endpoint: Endpoint,
  roundTrips: number,
  production: boolean,
): string {
  const lines = [floorEntry(bundle), 'const s = JSON.parse(process.env.BENCH_FLOOR);'];
  const work: string[] = [];
  if (production) {
    // As lib/parameters.ts and lib/aws.ts do: one GetParameters call signed by lib/aws.ts with the
    // environment's credentials, started at import (the init phase), awaited by the request.
    lines.push(...ssmReadAtImport());
    work.push('const [floorUrl, floorToken] = await floorParameters;');
  } else {
    work.push('const [floorUrl, floorToken] = [s.url, s.token];');
  }
  if (endpoint.auth) {
    lines.push(
      'import { jwtVerify as floorVerify } from "jose";',
      'import { createPublicKey as floorPublicKey } from "node:crypto";',
      'const floorKey = floorPublicKey({ key: s.publicJwk, format: "jwk" });',
    );
    work.push(
      'await floorVerify((event.headers.authorization ?? "").slice("Bearer ".length), floorKey,',
      '  { algorithms: ["EdDSA"], typ: "at+jwt", issuer: s.issuer, audience: s.audience });',
    );
  }
  if (endpoint.signs) {
    // The new session's access token, as lib/tokens.ts signs it: the key made from the JWK at the
    // first request (the functions build it with their services, after the SSM read).
    // The signer is lib/tokens.ts's own (node:crypto), as for the SSM read: the least code that signs.
    lines.push(
      'import { signAccessToken as floorSign } from "./lib/tokens";',
      'import { createPrivateKey as floorPrivateKey } from "node:crypto";',
      'let floorSigningKey;',
    );
    work.push(
      'floorSigningKey ??= floorPrivateKey({ key: s.privateJwk, format: "jwk" });',
      'const floorIat = Math.floor(Date.now() / 1000);',
      'await floorSign({ algorithm: s.algorithm, kid: s.privateJwk.kid, issuer: s.issuer, audience: s.audience,',
      '  subject: "floor", sessionId: "floor", issuedAt: floorIat, expiresAt: floorIat + s.accessTokenTtlSeconds },',
      '  {}, floorSigningKey);',
    );
  }
  if (endpoint.argon2.length > 0) {
    lines.push('const floorArgon2 = require("@node-rs/argon2");');
    work.push(
      'for (const op of s.argon2) {',
      '  if (op === "hash") await floorArgon2.hash(s.password, s.argon2Options);',
      '  else if (!(await floorArgon2.verify(s.passwordHash, s.password))) throw new Error("floor: verify failed");',
      '}',
    );
  }
  if (roundTrips > 0) {
    lines.push('import { Redis as FloorRedis } from "@upstash/redis";', 'let floorRedis;');
    work.push(
      'floorRedis ??= new FloorRedis({ url: floorUrl, token: floorToken, enableTelemetry: false,',
      '  automaticDeserialization: false, readYourWrites: false, enableAutoPipelining: false, retry: false });',
      'for (let i = 0; i < s.roundTrips; i++) await floorRedis.client.request({ body: ["get", s.key] });',
    );
  }
  if (production && endpoint.mail) {
    // As lib/mail/queue.ts does: one asynchronous invocation (202), signed by lib/aws.ts.
    work.push(
      'const queued = await floorAws("lambda", 1).fetch(',
      '  "/2015-03-31/functions/" + encodeURIComponent(s.mailFunction) + "/invocations",',
      '  { headers: { "Content-Type": "application/json", "X-Amz-Invocation-Type": "Event" },',
      '    body: "{}", signal: AbortSignal.timeout(1000) });',
      'if (queued.status !== 202) throw new Error("floor: invoke answered " + queued.status);',
    );
  }
  lines.push(
    'export const handler = async (event) => {',
    ...work,
    '  return { statusCode: s.status };',
    '};',
  );
  return `${lines.join('\n')}\n`;
}

const PROBE = join(__dirname, 'probe.js');

/**
 * `BENCH_CPU_PROFILE=<dir>`: every first-response process also writes a V8 CPU profile to
 * `<dir>/<label>/` (`--cpu-prof`, sampled every 100 µs), to see where a function's time goes
 * against its floor's; open one in Chrome's DevTools or read it with any .cpuprofile viewer.
 */
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
const profileArgs = (label: string): string[] =>
  PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', join(PROFILE_DIR, label)] : [];

/**
 * One fresh process: require `bundle` and answer event `index` of `requestsFile`. Asynchronous:
 * the loopback SSM and Lambda stand-ins live in this process and must answer meanwhile (with a
 * synchronous child they could not, and a mail invocation waited for its 1 s timeout).
 */
async function firstResponseOnce(
  bundle: string,
  requestsFile: string,
  index: number,
  env: NodeJS.ProcessEnv,
  label: string,
): Promise<{ importMs: number; firstResponseMs: number }> {
  const { stdout: output } = await promisify(execFile)(
    process.execPath,
    [...profileArgs(label), PROBE, 'first', bundle, requestsFile, String(index)],
    { env, encoding: 'utf8' },
  );
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as { importMs: number; firstResponseMs: number };
}

/**
 * Cold first response of every function (its first endpoint in `endpoints`) against its floor,
 * `runs` fresh processes each, one new request per process (fixtures made beforehand). Rounds are
 * interleaved, and within a round the function and its floor take turns going first, so that load
 * from elsewhere spreads over all of them alike. Run after the warm latencies: the floor makes as
 * many round trips as a warm request does (`warm`), and the scripts are loaded in Redis by then, as
 * they are on a running Upstash database.
 */
export async function measureFirstResponses(
  bundles: Bundle[],
  endpoints: Endpoint[],
  warm: WarmLatency[],
  settings: FirstResponseSettings,
): Promise<FirstResponse[]> {
  const { config, runs } = settings;
  mkdirSync(SCRATCH, { recursive: true });
  const argon2Options = {
    memoryCost: config.argon2.memoryKib,
    timeCost: config.argon2.timeCost,
    parallelism: config.argon2.parallelism,
  };
  const passwordHash = await argon2.hash(PASSWORD, argon2Options);
  const targets = [];
  for (const bundle of bundles) {
    // Requests that go stale within a round's minutes (a TOTP code lives 30 s) have no first response here.
    const endpoint = endpoints.find((e) => e.fn === bundle.fn && !e.expiresWithinSeconds);
    if (!endpoint) continue;
    const roundTrips = warm.find((w) => w.route === endpoint.route)?.roundTrips ?? 0;
    const requestsFile = join(SCRATCH, `first-${bundle.fn}.json`);
    const events = (await endpoint.requests(settings.fixtures, runs)).map(httpEvent);
    writeFileSync(requestsFile, JSON.stringify({ events, status: endpoint.status }));
    const floorSettings: FloorSettings = {
      status: endpoint.status,
      auth: endpoint.auth,
      publicJwk: settings.publicJwk,
      privateJwk: config.jwt.privateKey,
      algorithm: config.jwt.algorithm,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      argon2: endpoint.argon2,
      argon2Options,
      password: PASSWORD,
      passwordHash,
      roundTrips,
      url: config.datastore.url,
      token: config.datastore.token,
      key: `${config.keyPrefix}floor`,
      ssm: settings.production?.floorParameters ?? null,
      mailFunction: endpoint.mail ? config.mail.functionName : null,
    };
    const floor = await buildFloor(
      firstResponseFloorEntry(bundle, endpoint, roundTrips, settings.production !== undefined),
      endpoint.argon2.length > 0 ? [...new Set([...bundle.externals, '@node-rs/argon2'])] : bundle.externals,
    );
    targets.push({
      bundle,
      endpoint,
      requestsFile,
      floor,
      floorEnv: { ...settings.env, BENCH_FLOOR: JSON.stringify(floorSettings) },
      work: [
        ...(settings.production ? ['SSM GetParameters'] : []),
        // The invoke (in floorWork) is on the production path only: elsewhere no floorAws signs it.
        ...floorWork(endpoint, roundTrips).filter((w) => settings.production || !w.startsWith('Lambda')),
      ],
      own: [] as Array<{ importMs: number; firstResponseMs: number }>,
      floorRuns: [] as Array<{ importMs: number; firstResponseMs: number }>,
      roundTrips: [] as number[],
      invocations: [] as number[],
    });
  }
  for (let round = 0; round < runs; round++) {
    for (const t of targets) {
      const own = async () => {
        await settings.datastore.resetRoundTrips();
        settings.lambdaInvocations.count = 0;
        t.own.push(await firstResponseOnce(t.bundle.path, t.requestsFile, round, settings.env, t.bundle.fn));
        t.roundTrips.push(await settings.datastore.roundTrips());
        t.invocations.push(settings.lambdaInvocations.count);
      };
      const floor = async () => {
        t.floorRuns.push(
          await firstResponseOnce(t.floor, t.requestsFile, round, t.floorEnv, `${t.bundle.fn}-floor`),
        );
      };
      if (round % 2 === 0) {
        await own();
        await floor();
      } else {
        await floor();
        await own();
      }
    }
  }
  const median = (
    runs: Array<{ importMs: number; firstResponseMs: number }>,
    key: 'importMs' | 'firstResponseMs',
  ) =>
    quantile(
      runs.map((r) => r[key]),
      0.5,
    );
  // The floor invokes the mail function where the endpoint says the request does: check it did.
  for (const t of targets) {
    const invoked = quantile(t.invocations, 0.5) > 0;
    if (settings.production && invoked !== Boolean(t.endpoint.mail))
      throw new Error(
        `bench: ${t.bundle.fn} ${invoked ? 'queued' : 'did not queue'} mail on its cold first response, ` +
          `but its endpoint says mail: ${Boolean(t.endpoint.mail)} (bench/endpoints.ts)`,
      );
  }
  return targets.map((t) => {
    const medianMs = median(t.own, 'firstResponseMs');
    const floorMs = median(t.floorRuns, 'firstResponseMs');
    return {
      fn: t.bundle.fn,
      route: t.endpoint.route,
      runs,
      medianMs,
      importMs: median(t.own, 'importMs'),
      floorMs,
      floorImportMs: median(t.floorRuns, 'importMs'),
      floorWork: t.work,
      ratio: medianMs / floorMs,
      roundTrips: quantile(t.roundTrips, 0.5),
    };
  });
}
