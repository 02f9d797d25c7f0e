/** Stops the datastore global-setup started. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__DATASTORE__?.close();
  globalThis.__DATASTORE__ = undefined;
}
