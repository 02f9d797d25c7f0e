import { ensureBuild, ensureDatastore } from './global-setup';

/** The `slow` project: the bundles, built once, and the run's datastore. */
export default async function globalSetup(): Promise<void> {
  await ensureBuild();
  await ensureDatastore();
}
