import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The API.md configuration variables; `npm start` passes any of them through from its environment. */
export const CONFIG_VARIABLES = [
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'KEY_PREFIX',
  'JWT_PRIVATE_KEY',
  'JWT_PREVIOUS_PUBLIC_KEYS',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'ACCESS_TOKEN_TTL_SECONDS',
  'REFRESH_TOKEN_TTL_SECONDS',
  'PASSWORD_MIN_LENGTH',
  'ARGON2_MEMORY_KIB',
  'ARGON2_TIME_COST',
  'ARGON2_PARALLELISM',
  'RATE_LIMIT_LOGIN_PER_IP',
  'RATE_LIMIT_REGISTER_PER_IP',
  'CORS_ALLOWED_ORIGINS',
  'DATASTORE_TIMEOUT_MS',
  'LOG_LEVEL',
] as const;

export interface OfflineOptions {
  /** Project root (where serverless.yml and dist/ are). */
  root: string;
  /** HTTP port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Environment for the functions (the API.md variables). */
  env: Record<string, string>;
  /** Where serverless-offline's own output goes; default: discarded. */
  onOutput?: (chunk: string) => void;
  /** How long to wait for the server to come up. */
  startTimeoutMs?: number;
}

export interface Offline {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts `serverless offline` on the prebuilt bundles (run the build first) and resolves once it
 * answers HTTP. The child runs in its own process group so `stop()` ends it and its workers.
 */
export async function startOffline(options: OfflineOptions): Promise<Offline> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  const lambdaPort = await freePort(host);
  const child = spawn(
    process.execPath,
    [join(options.root, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start'],
    {
      cwd: options.root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? options.root,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        ...options.env,
        PORT: String(port),
        HOST: host,
        LAMBDA_PORT: String(lambdaPort),
      },
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    options.onOutput?.(text);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };

  const url = `http://${host}:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serverless offline exited early:\n${output}`);
    try {
      await fetch(`${url}/.well-known/jwks.json`, { signal: AbortSignal.timeout(2_000) });
      return { url, port, child, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  await stop();
  throw new Error(`serverless offline did not start within the timeout:\n${output}`);
}
