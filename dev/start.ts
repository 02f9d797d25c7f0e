// `npm start`: the whole API at http://localhost:3000 with nothing to install or configure.
// Starts the local datastore (embedded, or in front of REDIS_URL), makes a fresh signing key,
// runs serverless offline on the built bundles, serves the demo page (dev/demo/, port 5173 or
// DEMO_PORT) and the mailbox (the SES v2 emulator, port 8005 or MAILBOX_PORT), and stops
// everything on Ctrl-C or SIGTERM.
// Any API.md configuration variable set in the environment is passed through unchanged.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ROUTES } from '../lib/routes';
import { startDatastore } from './datastore/server';
import { type DemoServer, startDemoServer } from './demo-server';
import { type Mailbox, startMailbox } from './mailbox';
import { localEnvironment, startOffline } from './offline';

const root = join(__dirname, '../..');

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const demoPort = Number(process.env.DEMO_PORT ?? 5173);
  const datastore = process.env.UPSTASH_REDIS_REST_URL
    ? null
    : await startDatastore({
        redisUrl: process.env.REDIS_URL || undefined,
        token: randomBytes(18).toString('hex'),
      });

  const mailboxPort = Number(process.env.MAILBOX_PORT ?? 8005);
  let mailbox: Mailbox;
  try {
    mailbox = await startMailbox({ port: mailboxPort, host: process.env.HOST ?? '127.0.0.1' });
  } catch (error) {
    await datastore?.close();
    throw new Error(
      `mailbox: cannot listen on port ${mailboxPort} (set MAILBOX_PORT): ${(error as Error).message}`,
    );
  }
  const env = await localEnvironment(process.env, { datastore, demoPort });

  const offline = await startOffline({
    root,
    port,
    host: process.env.HOST ?? '127.0.0.1',
    env,
    mailboxUrl: mailbox.url,
    onOutput: (text) => {
      // serverless-offline prints each request; keep errors and warnings visible, drop the noise.
      if (/error|warn/i.test(text)) process.stderr.write(text);
    },
  });

  const base = `http://localhost:${offline.port}`;
  let demo: DemoServer;
  try {
    demo = await startDemoServer({ port: demoPort, host: process.env.HOST ?? '127.0.0.1', apiUrl: base });
  } catch (error) {
    await offline.stop();
    await mailbox.close();
    await datastore?.close();
    throw new Error(
      `demo page: cannot listen on port ${demoPort} (set DEMO_PORT): ${(error as Error).message}`,
    );
  }
  console.log(`
  Account API ready at ${base}
  Demo page: http://localhost:${demo.port}
  Mailbox:   http://localhost:${mailbox.port} (every mail the API sends; JSON at /store)
  Datastore: ${datastore ? `${datastore.backend} (${datastore.url})` : env.UPSTASH_REDIS_REST_URL}

${ROUTES.map((route) => `  ${route.method.padEnd(7)}${route.path.padEnd(24)}${route.summary}`).join('\n')}

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
    await offline.stop();
    await mailbox.close();
    await datastore?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  offline.child.once('exit', (code) => {
    if (stopping) return;
    console.error(`serverless offline exited (${code}); stopping.`);
    void Promise.all([demo.close(), mailbox.close(), datastore?.close()]).then(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
