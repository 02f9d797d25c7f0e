import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Datastore } from '../../dev/datastore/server';
import { startDatastore } from '../../dev/datastore/server';

declare global {
  // The datastore shared by the whole jest run, kept here for global-teardown.
  var __DATASTORE__: Datastore | undefined;
  // Whether this run has built the bundles already.
  var __BUILT__: boolean | undefined;
}

/**
 * Starts one REST datastore for the whole run (once, whichever project asks first), a real Redis
 * behind it when REDIS_URL is set and the embedded engine otherwise, and publishes it through the
 * environment that the test workers inherit. The `functions` project's global setup.
 */
export async function ensureDatastore(): Promise<void> {
  if (globalThis.__DATASTORE__) return;
  const datastore = await startDatastore({ redisUrl: process.env.REDIS_URL || undefined });
  globalThis.__DATASTORE__ = datastore;
  process.env.UPSTASH_REDIS_REST_URL = datastore.url;
  process.env.UPSTASH_REDIS_REST_TOKEN = datastore.token;
  process.env.DATASTORE_REDIS_URL = datastore.redisUrl;
}

/**
 * The suites that run the built bundles (serverless offline: e2e, browser, load; budgets,
 * packaging) share one build made here, once per run, before any of them starts: a build empties
 * dist/functions first, so a suite rebuilding in place would pull the bundles from under another
 * one that is serving them. The `slow` project's global setup.
 */
export async function ensureBuild(): Promise<void> {
  if (globalThis.__BUILT__) return;
  execFileSync(process.execPath, [join(__dirname, '../../esbuild.config.mjs'), 'functions'], {
    stdio: 'inherit',
  });
  globalThis.__BUILT__ = true;
}

export default ensureDatastore;
