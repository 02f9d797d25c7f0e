// `npm run bench:algorithms`: sign-in and refresh (the two requests that sign a token) and a warm
// `GET /users/me` (which verifies one) with each JWT_ALGORITHM, through the real handlers against
// the local datastore in a process of its own, with production Argon2 parameters; plus the bare
// cost of one signature and one verification. A report, never a test.
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { generateSigningKey } from '../dev/signing-key';
import { parseConfig, SIGNING_ALGORITHMS } from '../lib/config';
import { createServices } from '../lib/services';
import { startDatastoreProcess } from './datastore-process';
import { quantile } from './statistics';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 30);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const PRIMITIVES = 500;
const PASSWORD = 'correct horse battery staple';

const median = (samples: number[]) => quantile(samples, 0.5);
const ms = (value: number) => `${value.toFixed(2)} ms`;

async function timed(count: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await run(i);
    samples.push(performance.now() - start);
  }
  return samples;
}

async function main(): Promise<void> {
  const datastore = await startDatastoreProcess();
  const base = {
    UPSTASH_REDIS_REST_URL: datastore.url,
    UPSTASH_REDIS_REST_TOKEN: datastore.token,
    TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    RATE_LIMIT_LOGIN_PER_IP: '1000000/60',
    RATE_LIMIT_REGISTER_PER_IP: '1000000/60',
    LOG_LEVEL: 'SILENT',
  };
  // The handler modules build services from the environment at import: give them a valid one.
  Object.assign(process.env, base, {
    JWT_PRIVATE_KEY: JSON.stringify((await generateSigningKey()).privateJwk),
  });
  const [
    { createHandler: login },
    { createHandler: refresh },
    { createHandler: me },
    { createHandler: register },
  ] = await Promise.all([
    import('../functions/login'),
    import('../functions/refresh-session'),
    import('../functions/get-profile'),
    import('../functions/register'),
  ]);
  const { httpEvent, lambdaContext } = await import('../dev/http-event');
  const rows: string[][] = [];
  try {
    for (const alg of SIGNING_ALGORITHMS) {
      const key = await generateSigningKey(alg);
      const config = parseConfig({
        ...base,
        JWT_ALGORITHM: alg,
        JWT_PRIVATE_KEY: JSON.stringify(key.privateJwk),
        KEY_PREFIX: `bench-alg:${randomBytes(6).toString('hex')}:`,
      });
      const services = createServices(config, { mailQueue: { enqueue: async () => undefined } });
      const call = async (handler: ReturnType<typeof login>, input: Parameters<typeof httpEvent>[0]) => {
        const result = await handler(httpEvent(input), lambdaContext());
        if ((result.statusCode ?? 0) >= 300)
          throw new Error(`${alg}: ${input.path} answered ${result.statusCode}`);
        return JSON.parse(result.body ?? '{}');
      };
      const email = `bench.${randomBytes(6).toString('hex')}@example.com`;
      const registered = await call(register(services), {
        method: 'POST',
        path: '/users',
        body: { name: 'Bench', email, password: PASSWORD },
      });
      const loginHandler = login(services);
      const refreshHandler = refresh(services);
      const meHandler = me(services);
      const ip = (i: number) => `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      await timed(3, (i) =>
        call(loginHandler, {
          method: 'POST',
          path: '/sessions',
          ip: ip(i),
          body: { email, password: PASSWORD },
        }),
      );
      const logins = await timed(LOGINS, (i) =>
        call(loginHandler, {
          method: 'POST',
          path: '/sessions',
          ip: ip(i),
          body: { email, password: PASSWORD },
        }),
      );
      let refreshToken: string = registered.session.refreshToken;
      const refreshes = await timed(REQUESTS, async () => {
        refreshToken = (
          await call(refreshHandler, { method: 'POST', path: '/sessions/refresh', body: { refreshToken } })
        ).session.refreshToken;
      });
      const token: string = registered.session.accessToken;
      await timed(50, () => call(meHandler, { method: 'GET', path: '/users/me', token }));
      const profiles = await timed(REQUESTS, () =>
        call(meHandler, { method: 'GET', path: '/users/me', token }),
      );
      const claims = { userId: registered.user.id, sessionId: registered.session.sessionId };
      await services.tokens.issueAccessToken(claims);
      const signs = await timed(PRIMITIVES, () => services.tokens.issueAccessToken(claims));
      const verifies = await timed(PRIMITIVES, () => services.tokens.verifyAccessToken(token));
      rows.push([
        alg,
        ms(median(logins)),
        ms(median(refreshes)),
        ms(median(profiles)),
        ms(median(signs)),
        ms(median(verifies)),
      ]);
      process.stderr.write(`bench: ${alg} done\n`);
    }
  } finally {
    await datastore.stop();
  }
  const header = [
    'JWT_ALGORITHM',
    'sign-in (p50)',
    'refresh (p50)',
    'GET /users/me (p50)',
    'sign (p50)',
    'verify (p50)',
  ];
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(
    `\n${LOGINS} sign-ins, ${REQUESTS} refreshes and profile reads, ${PRIMITIVES} signatures and verifications per algorithm; ` +
      `datastore ${datastore.backend}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
