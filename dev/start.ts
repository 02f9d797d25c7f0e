// `npm start`: the whole API at http://localhost:3000 with nothing to install or configure.
// Starts the local datastore (embedded, or in front of REDIS_URL), makes its development keys once
// (signing, TOTP; kept in the git-ignored .dev/keys.json and reused, see dev/dev-keys.ts),
// runs serverless offline on the built bundles behind a queue that bounds how many requests it runs
// at once (LOCAL_CONCURRENCY, default 4; see dev/invocation-queue.ts), serves the demo page
// (dev/demo/, port 5173 or DEMO_PORT) and the mailbox (the SES v2 emulator, port 8005 or
// MAILBOX_PORT), the local identity provider for social log-in (port 8006 or OIDC_PORT; not when
// OAUTH_OIDC_ISSUER is set), and stops everything on Ctrl-C or SIGTERM.
// Any configuration variable (README "Configuration") set in the environment is passed through unchanged.
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { ROUTES } from '../lib/routes';
import { auditLines } from './audit-lines';
import { startDatastore } from './datastore/server';
import { type DemoServer, startDemoServer } from './demo-server';
import { loadOrCreateDevKeys } from './dev-keys';
import { type LocalIdentityProvider, startIdentityProvider } from './identity-provider';
import { type InvocationQueue, startInvocationQueue } from './invocation-queue';
import { type Mailbox, startMailbox } from './mailbox';
import { devKeyAlgorithm, localEnvironment, startOffline } from './offline';

const root = join(__dirname, '../..');
/**
 * Requests serverless offline runs at once. Measured on 2 cores: a cold burst of 60 log-ins
 * unbounded started 60 worker threads and took 10–15 s, with 503s and Lambda timeouts; through
 * 4 at a time it is served by 4 warm workers (see dev/invocation-queue.ts and the README).
 */
const DEFAULT_CONCURRENCY = 4;

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const demoPort = Number(process.env.DEMO_PORT ?? 5173);
  const host = process.env.HOST ?? '127.0.0.1';
  const concurrency = Number(process.env.LOCAL_CONCURRENCY ?? DEFAULT_CONCURRENCY);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`LOCAL_CONCURRENCY must be a whole number ≥ 1, got ${process.env.LOCAL_CONCURRENCY}`);
  }
  // Kept across restarts, so that what a persistent REDIS_URL holds stays readable.
  const keyFile = join(root, '.dev/keys.json');
  const devKeys =
    process.env.JWT_PRIVATE_KEY && process.env.TOTP_ENCRYPTION_KEY
      ? null
      : await loadOrCreateDevKeys(keyFile, devKeyAlgorithm(process.env));
  if (devKeys) {
    console.log(
      `Development keys (signing, TOTP): ${devKeys.created ? 'made and kept in' : 'reused from'} ${relative(process.cwd(), keyFile)} (git-ignored, mode 0600; delete it for new ones)`,
    );
  }
  const datastore = process.env.UPSTASH_REDIS_REST_URL
    ? null
    : await startDatastore({
        redisUrl: process.env.REDIS_URL || undefined,
        token: randomBytes(18).toString('hex'),
      });

  const mailboxPort = Number(process.env.MAILBOX_PORT ?? 8005);
  let mailbox: Mailbox;
  try {
    mailbox = await startMailbox({ port: mailboxPort, host });
  } catch (error) {
    await datastore?.close();
    throw new Error(
      `mailbox: cannot listen on port ${mailboxPort} (set MAILBOX_PORT): ${(error as Error).message}`,
    );
  }
  // Social log-in: the local identity provider takes the `oidc` slot, unless one is configured.
  const apiUrl = process.env.API_URL || `http://localhost:${port}`;
  const env = await localEnvironment(process.env, { datastore, demoPort, apiUrl, keys: devKeys?.keys });
  env.API_URL = apiUrl;
  const oidcPort = Number(process.env.OIDC_PORT ?? 8006);
  let identityProvider: LocalIdentityProvider | null = null;
  if (!process.env.OAUTH_OIDC_ISSUER) {
    try {
      identityProvider = await startIdentityProvider({
        port: oidcPort,
        host,
        clients: [
          {
            clientId: 'local',
            clientSecret: 'local-secret',
            redirectUris: [`${apiUrl}/oauth/oidc/callback`],
          },
        ],
      });
    } catch (error) {
      await mailbox.close();
      await datastore?.close();
      throw new Error(
        `identity provider: cannot listen on port ${oidcPort} (set OIDC_PORT): ${(error as Error).message}`,
      );
    }
    Object.assign(env, {
      OAUTH_OIDC_ISSUER: identityProvider.issuer,
      OAUTH_OIDC_CLIENT_ID: 'local',
      OAUTH_OIDC_CLIENT_SECRET: 'local-secret',
      OAUTH_OIDC_NAME: 'Local identity provider',
    });
  }
  const showAudit = auditLines((line) => console.log(line));

  // serverless offline listens on a private loopback port; clients reach it through the queue.
  const offline = await startOffline({
    root,
    host: '127.0.0.1',
    // Fixed, so that `npm run admin` finds the admin functions (LAMBDA_PORT, default 3002).
    lambdaPort: Number(process.env.LAMBDA_PORT ?? 3002),
    env,
    mailboxUrl: mailbox.url,
    onOutput: (text) => {
      // serverless-offline prints each request; keep errors and warnings visible, one line per
      // audit event (dev/audit-lines.ts), and drop the rest.
      showAudit(text);
      if (/error|warn/i.test(text) && !text.includes('"audit"')) process.stderr.write(text);
    },
  });

  let queue: InvocationQueue;
  try {
    queue = await startInvocationQueue({ target: offline.url, maxConcurrent: concurrency, port, host });
  } catch (error) {
    await offline.stop();
    await mailbox.close();
    await datastore?.close();
    throw new Error(`API: cannot listen on port ${port} (set PORT): ${(error as Error).message}`);
  }
  const base = `http://localhost:${queue.port}`;
  let demo: DemoServer;
  try {
    demo = await startDemoServer({ port: demoPort, host, apiUrl: base });
  } catch (error) {
    await queue.close();
    await offline.stop();
    await mailbox.close();
    await datastore?.close();
    throw new Error(
      `demo page: cannot listen on port ${demoPort} (set DEMO_PORT): ${(error as Error).message}`,
    );
  }
  // The route table's columns: as wide as its longest method and its longest path, then a gap.
  const methodWidth = Math.max(...ROUTES.map((route) => route.method.length)) + 1;
  const pathWidth = Math.max(...ROUTES.map((route) => route.path.length)) + 2;
  console.log(`
  Account API ready at ${base}
  Demo page: http://localhost:${demo.port}
  Mailbox:   http://localhost:${mailbox.port} (every mail the API sends; JSON at /store)
  Identity provider: ${identityProvider ? `${identityProvider.issuer} (sign in as anyone: the demo page's "Local identity provider" button)` : env.OAUTH_OIDC_ISSUER}
  Admin:     npm run admin -- find <email> (Lambda API ${offline.lambdaUrl}; LAMBDA_PORT)
  Datastore: ${datastore ? `${datastore.backend} (${datastore.url})` : env.UPSTASH_REDIS_REST_URL}
  Concurrency: ${concurrency} requests at a time, the rest queued (LOCAL_CONCURRENCY)

${ROUTES.map((route) => `  ${route.method.padEnd(methodWidth)}${route.path.padEnd(pathWidth)}${route.summary}`).join('\n')}

  Try:
    curl -si ${base}/users -H 'content-type: application/json' \\
      -d '{"name":"Ada","email":"ada@example.com","password":"correct horse battery staple"}'

  Ctrl-C stops everything.
`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await demo.close();
    await queue.close();
    await offline.stop();
    await mailbox.close();
    await identityProvider?.close();
    await datastore?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  offline.child.once('exit', (code) => {
    if (stopping) return;
    console.error(`serverless offline exited (${code}); stopping.`);
    void Promise.all([
      demo.close(),
      queue.close(),
      mailbox.close(),
      identityProvider?.close(),
      datastore?.close(),
    ]).then(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
