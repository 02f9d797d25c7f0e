// `npm run bench`: how close each function is to the least it could cost. Prints one table and
// writes bench/results.json. Bundle size, cold import against a floor bundle of the same
// third-party imports, warm latency of every endpoint against its unavoidable work, datastore
// round trips and Redis's own time per request, the cold first response (import, services and one
// request in a fresh process) against a floor, peak memory, and the Middy stack's overhead. Timings are a report, never a test:
// the budgets that are deterministic (round trips, bundle size) are asserted in tests/budgets/.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from '@upstash/redis';
import { startIdentityProvider } from '../dev/identity-provider';
import { generateSigningKey } from '../dev/signing-key';
import { parseConfig } from '../lib/config';
import { SSM_VARIABLES, ssmParameterName } from '../lib/parameters';
import { nativeAddon, ROOT, readBundles, snapshotBundles } from './bundles';
import { measureColdStarts } from './cold-start';
import { startDatastoreProcess } from './datastore-process';
import { openDatastoreClock } from './datastore-time';
import { ENDPOINTS } from './endpoints';
import { measureEnumeration } from './enumeration';
import { type FirstResponse, measureFirstResponses } from './first-response';
import { createFixtures } from './fixtures';
import { measureMemory } from './memory';
import { measureMiddlewareOverhead } from './middleware';
import { printTable, writeJson } from './report';
import { loadHandler, measureWarmLatency, type WarmLatency } from './warm-latency';

const COLD_RUNS = 15;
/** Fresh processes per function (and as many for its floor) for the cold first response. */
const FIRST_RESPONSE_RUNS = Number(process.env.BENCH_FIRST_RESPONSE_RUNS ?? 11);
/**
 * A targeted run (`BENCH_FUNCTIONS=register,login npm run bench`): only the cold first responses
 * and cold imports of these functions (after a short warm run of their endpoints, for the round-trip counts and
 * the scripts to be loaded), printed, and written to dist/bench/targeted.json, not results.json.
 */
const TARGETED = process.env.BENCH_FUNCTIONS?.split(',').filter(Boolean) ?? null;
/** The SSM prefix the production path's stand-in serves the deployment's parameters under. */
const SSM_PREFIX = '/account-service/bench';
const WARM_SAMPLES = 200;
/** Warm requests per endpoint over which Redis's own time is read (redis-server only). */
const CLOCK_REQUESTS = 30;
const MEMORY_REQUESTS = 30;
/** Known and as many unknown emails per enumeration probe (issue 14: 30 each). */
const ENUMERATION_SAMPLES = 30;
/** Production Argon2 parameters (README "Configuration"), whatever the shell says. */
const ARGON2 = { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '1' };

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** Drops what the handlers log (audit lines, as in production at INFO) while they are measured; returns the undo. */
function silenceStdout(): () => void {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const datastore = await startDatastoreProcess();
  // Lambda's Invoke API as the functions that queue mail see it: an asynchronous invocation is
  // answered 202 at once (the bench measures the request, not the mail function).
  // It counts the invocations, which bench/first-response.ts checks against each endpoint's `mail`.
  const lambdaInvocations = { count: 0 };
  const lambda = createServer((request, response) => {
    lambdaInvocations.count += 1;
    request.resume();
    request.on('end', () => {
      response.writeHead(202);
      response.end();
    });
  });
  await new Promise<void>((resolve) => lambda.listen(0, '127.0.0.1', resolve));
  // SSM's GetParameters as a cold start in AWS sees it: the deployment's parameters, decrypted.
  const parameters = new Map<string, string>();
  const ssm = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const { Names } = JSON.parse(text) as { Names: string[] };
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          Parameters: Names.filter((name) => parameters.has(name)).map((Name) => ({
            Name,
            Type: 'SecureString',
            Value: parameters.get(Name),
          })),
          InvalidParameters: Names.filter((name) => !parameters.has(name)),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => ssm.listen(0, '127.0.0.1', resolve));
  const clock = await openDatastoreClock(datastore.redisUrl);
  // Social log-in's provider: the local identity provider, as under `npm start`.
  const identityProvider = await startIdentityProvider({
    clients: [
      {
        clientId: 'bench',
        clientSecret: 'bench-secret',
        redirectUris: ['http://localhost:3000/oauth/oidc/callback'],
      },
    ],
  });
  try {
    const signingKey = await generateSigningKey();
    // The functions build their services from the environment at import, so it is set first.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      UPSTASH_REDIS_REST_URL: datastore.url,
      UPSTASH_REDIS_REST_TOKEN: datastore.token,
      JWT_PRIVATE_KEY: JSON.stringify(signingKey.privateJwk),
      TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      KEY_PREFIX: `bench:${randomBytes(6).toString('hex')}:`,
      ...ARGON2,
      // Limits far out of reach: the bench measures the work, not the 429s. Every request also
      // comes from an address of its own and logs in successfully, so no back-off starts.
      RATE_LIMIT_LOGIN_PER_IP: '1000000/60',
      RATE_LIMIT_REGISTER_PER_IP: '1000000/60',
      RATE_LIMIT_OAUTH_PER_IP: '1000000/60',
      // The fixtures' sessions are opened minutes before the cold runs use them: keep them "fresh"
      // for adding a passkey (no password re-entered, as the warm run measured).
      REAUTH_MAX_AGE_SECONDS: '3600',
      API_URL: 'http://localhost:3000',
      OAUTH_OIDC_ISSUER: identityProvider.issuer,
      OAUTH_OIDC_CLIENT_ID: 'bench',
      OAUTH_OIDC_CLIENT_SECRET: 'bench-secret',
      LOG_LEVEL: 'INFO',
    });
    const config = parseConfig(process.env);
    // The production path of the cold first responses: secrets only in SSM, role credentials.
    const productionEnv: NodeJS.ProcessEnv = {
      ...process.env,
      SSM_PARAMETER_PREFIX: SSM_PREFIX,
      AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${(ssm.address() as AddressInfo).port}`,
      AWS_SESSION_TOKEN: 'bench-session-token',
      // Set by Lambda in every function's environment (lib/passwords.ts preloads Argon2 there).
      AWS_LAMBDA_FUNCTION_NAME: 'account-service-bench',
    };
    for (const name of SSM_VARIABLES) {
      parameters.set(ssmParameterName(SSM_PREFIX, name), String(process.env[name]));
      delete productionEnv[name];
    }
    await snapshotBundles();
    const bundles = readBundles().filter((b) => !TARGETED || TARGETED.includes(b.fn));
    if (TARGETED) {
      await targetedRun(bundles, config, signingKey.publicJwk, datastore, productionEnv, lambdaInvocations);
      const cold = await measureColdStarts(bundles, process.env, FIRST_RESPONSE_RUNS, {
        env: productionEnv,
        floorParameters: PRODUCTION.floorParameters,
      });
      for (const c of cold)
        process.stdout.write(
          `${c.fn.padEnd(30)} cold import ${c.medianMs.toFixed(1)} ms, floor ${c.floorMs.toFixed(1)}, ${c.ratio.toFixed(2)}× ` +
            `(compile ${c.split.compileMs.toFixed(1)}/${c.split.floorCompileMs.toFixed(1)}, run ${c.split.runMs.toFixed(1)}/${c.split.floorRunMs.toFixed(1)}); ` +
            `production path ${c.production?.medianMs.toFixed(1)} ms, floor ${c.production?.floorMs.toFixed(1)}, ${c.production?.ratio.toFixed(2)}×\n`,
        );
      return;
    }

    progress(`cold start: ${bundles.length} functions and their floors × ${COLD_RUNS} processes`);
    const coldStarts = await measureColdStarts(bundles, process.env, COLD_RUNS, {
      env: productionEnv,
      floorParameters: PRODUCTION.floorParameters,
    });

    const fixtures = await createFixtures(config);
    // The datastore process sat idle through the cold starts: bring its code paths up to speed
    // first, or the first endpoint measured pays for that.
    const warmClient = new Redis({ url: datastore.url, token: datastore.token, enableTelemetry: false });
    for (let i = 0; i < 500; i++) await warmClient.get(`${config.keyPrefix}warm`);
    const warm: WarmLatency[] = [];
    const restore = silenceStdout();
    let middleware: Awaited<ReturnType<typeof measureMiddlewareOverhead>>;
    let enumeration: Awaited<ReturnType<typeof measureEnumeration>>;
    try {
      for (const endpoint of ENDPOINTS) {
        const bundle = bundles.find((b) => b.fn === endpoint.fn);
        if (!bundle) throw new Error(`no bundle for ${endpoint.fn}: run the build first`);
        progress(`warm latency: ${endpoint.route}`);
        warm.push(
          await measureWarmLatency(endpoint, loadHandler(bundle.path), {
            config,
            publicJwk: signingKey.publicJwk,
            datastore,
            fixtures,
            samples: WARM_SAMPLES,
            warmup: (e) => (e.argon2.length > 0 ? 3 : 50),
            clock,
            clockRequests: CLOCK_REQUESTS,
          }),
        );
      }
      progress('middleware overhead');
      middleware = await measureMiddlewareOverhead(config, fixtures, WARM_SAMPLES, 20);
      progress(`enumeration: known vs unknown email × ${ENUMERATION_SAMPLES}`);
      const bundleOf = (fn: string) => {
        const bundle = bundles.find((b) => b.fn === fn);
        if (!bundle) throw new Error(`no bundle for ${fn}: run the build first`);
        return loadHandler(bundle.path);
      };
      enumeration = await measureEnumeration(
        {
          requestPasswordReset: bundleOf('request-password-reset'),
          login: bundleOf('login'),
          requestEmailSignIn: bundleOf('request-email-sign-in'),
        },
        fixtures,
        ENUMERATION_SAMPLES,
      );
    } finally {
      restore();
    }

    progress(
      `cold first response: ${bundles.length} functions and their floors × ${FIRST_RESPONSE_RUNS} processes`,
    );
    const firstResponses = await measureFirstResponses(bundles, ENDPOINTS, warm, {
      config,
      publicJwk: signingKey.publicJwk,
      datastore,
      fixtures,
      env: productionEnv,
      runs: FIRST_RESPONSE_RUNS,
      production: PRODUCTION,
      lambdaInvocations,
    });

    progress(`memory: ${ENDPOINTS.length} processes × ${MEMORY_REQUESTS} requests`);
    const memory = await measureMemory(bundles, ENDPOINTS, fixtures, process.env, MEMORY_REQUESTS);

    const seconds = (performance.now() - started) / 1000;
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
      datastore: datastore.backend,
      argon2: config.argon2,
      coldRuns: COLD_RUNS,
      firstResponseRuns: FIRST_RESPONSE_RUNS,
      warmSamples: WARM_SAMPLES,
      datastoreTime: clock
        ? `Redis execution time (SLOWLOG at threshold 0) over ${CLOCK_REQUESTS} warm requests per endpoint`
        : 'not available on the embedded engine',
      memoryRequests: MEMORY_REQUESTS,
      seconds: Number(seconds.toFixed(1)),
    };
    const results = {
      meta,
      bundles,
      nativeAddon: nativeAddon(),
      coldStarts,
      firstResponses,
      warm,
      memory,
      middleware,
      enumeration,
      endpoints: ENDPOINTS,
    };
    printTable(
      results,
      `npm run bench: Node ${process.version}, ${meta.cpus} × ${meta.cpuModel}, load ${meta.loadAverage.join(' ')}; ` +
        `datastore: ${datastore.backend} in its own process; Argon2 m=${config.argon2.memoryKib},t=${config.argon2.timeCost},p=${config.argon2.parallelism}; ` +
        `${seconds.toFixed(0)} s`,
    );
    writeJson(join(ROOT, 'bench/results.json'), results);
  } finally {
    await clock?.close();
    await datastore.stop();
    await identityProvider.close();
    lambda.close();
    ssm.close();
  }
}

const PRODUCTION = {
  prefix: SSM_PREFIX,
  floorParameters: [
    ssmParameterName(SSM_PREFIX, 'UPSTASH_REDIS_REST_URL'),
    ssmParameterName(SSM_PREFIX, 'UPSTASH_REDIS_REST_TOKEN'),
  ] as [string, string],
};

/** `BENCH_FUNCTIONS=…`: the production-path cold first responses of a few functions, nothing else. */
async function targetedRun(
  bundles: ReturnType<typeof readBundles>,
  config: ReturnType<typeof parseConfig>,
  publicJwk: Awaited<ReturnType<typeof generateSigningKey>>['publicJwk'],
  datastore: Awaited<ReturnType<typeof startDatastoreProcess>>,
  env: NodeJS.ProcessEnv,
  lambdaInvocations: { count: number },
): Promise<void> {
  const fixtures = await createFixtures(config);
  const endpoints = ENDPOINTS.filter((e) => bundles.some((b) => b.fn === e.fn));
  const warm: WarmLatency[] = [];
  const restore = silenceStdout();
  try {
    for (const endpoint of endpoints) {
      const bundle = bundles.find((b) => b.fn === endpoint.fn);
      if (!bundle) continue;
      progress(`warm (round trips, scripts loaded): ${endpoint.route}`);
      warm.push(
        await measureWarmLatency(endpoint, loadHandler(bundle.path), {
          config,
          publicJwk,
          datastore,
          fixtures,
          samples: 10,
          warmup: () => 2,
          clock: null,
          clockRequests: 0,
        }),
      );
    }
  } finally {
    restore();
  }
  progress(
    `cold first response (production path): ${bundles.map((b) => b.fn).join(', ')} × ${FIRST_RESPONSE_RUNS}`,
  );
  const firstResponses: FirstResponse[] = await measureFirstResponses(bundles, endpoints, warm, {
    config,
    publicJwk,
    datastore,
    fixtures,
    env,
    runs: FIRST_RESPONSE_RUNS,
    production: PRODUCTION,
    lambdaInvocations,
  });
  const line = (f: FirstResponse) =>
    `${f.fn.padEnd(30)} ${f.medianMs.toFixed(0).padStart(6)} ms  floor ${f.floorMs.toFixed(0).padStart(5)} ms  ` +
    `${f.ratio.toFixed(2)}×  import ${f.importMs.toFixed(0)} ms (floor ${f.floorImportMs.toFixed(0)})  ` +
    `${f.roundTrips} round trips; floor: ${f.floorWork.join(' + ')}`;
  process.stdout.write(
    `cold first response, production path, median of ${FIRST_RESPONSE_RUNS}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n${firstResponses.map(line).join('\n')}\n`,
  );
  writeFileSync(
    join(ROOT, 'dist/bench/targeted.json'),
    `${JSON.stringify({ date: new Date().toISOString(), loadAverage: loadavg(), firstResponses }, null, 2)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
