import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../dev/offline';

/** The local REST datastore, running in a process of its own (as Upstash runs on a host of its own). */
export interface DatastoreProcess {
  url: string;
  token: string;
  backend: string;
  /** The Redis behind the REST server (for `SLOWLOG`, see bench/datastore-time.ts); null on the embedded engine. */
  redisUrl: string | null;
  /** REST requests (= round trips) served since the last reset. */
  roundTrips(): Promise<number>;
  resetRoundTrips(): Promise<void>;
  stop(): Promise<void>;
}

/** The Redis the bench's datastore fronts: `BENCH_DATASTORE` = `auto` (default) | `redis-server` | `embedded`. */
type Engine = { redisUrl?: string; stop(): Promise<void> };

/** Whether a Redis on loopback `port` answers PING. */
const answersPing = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('data', (data) => {
      resolve(data.toString('utf8').startsWith('+PONG'));
      socket.destroy();
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });

const hasRedisServer = (): boolean => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * A throw-away `redis-server` on loopback (no persistence, its own scratch directory). Upstash
 * runs Redis, whose Lua is native: the embedded engine's Lua runs in WebAssembly and costs several
 * times a plain GET, which would charge every script-based endpoint for a cost production never
 * has. So when `redis-server` is installed the bench uses it, unless told otherwise.
 */
async function startRedisServer(): Promise<Engine> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const redisUrl = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; !(await answersPing(port)); attempt++) {
    if (attempt === 50 || child.exitCode !== null) throw new Error(`redis-server did not start on ${port}`);
    await sleep(100);
  }
  return {
    redisUrl,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startEngine(): Promise<Engine> {
  const none = { stop: async () => {} };
  if (process.env.REDIS_URL) return { redisUrl: process.env.REDIS_URL, ...none };
  const choice = process.env.BENCH_DATASTORE ?? 'auto';
  if (choice === 'embedded') return none;
  if (choice === 'redis-server' || (choice === 'auto' && hasRedisServer())) return startRedisServer();
  if (choice !== 'auto')
    throw new Error(`BENCH_DATASTORE must be auto, redis-server or embedded, not ${choice}`);
  return none;
}

/**
 * Starts `dist/tools/datastore-cli.js` (built next to this bench) on a free port, in front of
 * REDIS_URL when set, else a throw-away `redis-server` when one is installed (see
 * `startRedisServer`), else the embedded engine. Keeping it out of the measuring process means
 * its CPU time is not charged to the handlers, and blocking waits here cannot stall it.
 */
export async function startDatastoreProcess(): Promise<DatastoreProcess> {
  const token = randomBytes(18).toString('hex');
  const engine = await startEngine();
  const child = spawn(process.execPath, [join(__dirname, 'datastore-cli.js')], {
    env: {
      ...process.env,
      ...(engine.redisUrl ? { REDIS_URL: engine.redisUrl } : {}),
      DATASTORE_PORT: '0',
      DATASTORE_TOKEN: token,
    },
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
    redisUrl: engine.redisUrl ?? null,
    roundTrips: async () => (await stats('GET')).total,
    resetRoundTrips: async () => {
      await stats('DELETE');
    },
    stop: async () => {
      await stopChild(child);
      await engine.stop();
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
