import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** The local REST datastore, running in a process of its own (as Upstash runs on a host of its own). */
export interface DatastoreProcess {
  url: string;
  token: string;
  backend: string;
  /** REST requests (= round trips) served since the last reset. */
  roundTrips(): Promise<number>;
  resetRoundTrips(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `dist/tools/datastore-cli.js` (built next to this bench) on a free port, in front of
 * REDIS_URL when set, else the embedded engine. Keeping it out of the measuring process means
 * its CPU time is not charged to the handlers, and blocking waits here cannot stall it.
 */
export async function startDatastoreProcess(): Promise<DatastoreProcess> {
  const token = randomBytes(18).toString('hex');
  const child = spawn(process.execPath, [join(__dirname, 'datastore-cli.js')], {
    env: { ...process.env, DATASTORE_PORT: '0', DATASTORE_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { url, backend } = await new Promise<{ url: string; backend: string }>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+) \(backend: ([^)]*)\)/.exec(output);
      if (match?.[1]) resolve({ url: match[1], backend: match[2] ?? 'unknown' });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`datastore exited (${code}) before listening:\n${output}`)),
    );
  });
  const stats = async (method: 'GET' | 'DELETE') => {
    const response = await fetch(`${url}/__stats`, { method, headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`datastore /__stats answered ${response.status}`);
    return (await response.json()) as { total: number };
  };
  return {
    url,
    token,
    backend: backend.startsWith('embedded') ? 'embedded engine (js-redis-server)' : `redis (${backend})`,
    roundTrips: async () => (await stats('GET')).total,
    resetRoundTrips: async () => {
      await stats('DELETE');
    },
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
