// `npm run datastore`: the Upstash-compatible REST datastore as a standalone process.
//   DATASTORE_PORT   port to listen on (default 8079)
//   DATASTORE_TOKEN  Bearer token clients must send (default: random, printed)
//   REDIS_URL        a real Redis to use; without it the embedded engine runs in-process
import { startDatastore } from './datastore/server';

async function main(): Promise<void> {
  const port = Number(process.env.DATASTORE_PORT ?? 8079);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`DATASTORE_PORT must be a port number, got ${process.env.DATASTORE_PORT}`);
  }
  const datastore = await startDatastore({
    port,
    redisUrl: process.env.REDIS_URL || undefined,
    token: process.env.DATASTORE_TOKEN || undefined,
  });
  const backend =
    datastore.backend === 'embedded' ? `embedded engine at ${datastore.redisUrl}` : datastore.redisUrl;
  console.log(`Upstash-compatible REST datastore listening on ${datastore.url} (backend: ${backend})`);
  console.log(`Token: ${datastore.token}`);
  console.log('Use it with:');
  console.log(`  UPSTASH_REDIS_REST_URL=${datastore.url}`);
  console.log(`  UPSTASH_REDIS_REST_TOKEN=${datastore.token}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    datastore.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('datastore: failed to stop cleanly', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`datastore: ${(error as Error).message ?? error}`);
  process.exit(1);
});
