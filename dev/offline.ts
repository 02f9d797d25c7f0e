import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  CONFIG_VARIABLES,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type VariableName,
} from '../lib/config';
import type { DevKeys } from './dev-keys';
import { type EventQueue, startEventQueue } from './event-queue';
import { generateSigningKey } from './signing-key';

/** The configuration variables (lib/config-variables.json); `npm start` passes any of them through. */
export const CONFIG_VARIABLE_NAMES = Object.keys(CONFIG_VARIABLES) as VariableName[];

/** The kind of development signing key `source` needs: JWT_ALGORITHM's (an unknown one is left for the configuration to report). */
export const devKeyAlgorithm = (source: Record<string, string | undefined>): SigningAlgorithm =>
  SIGNING_ALGORITHMS.find((alg) => alg === source.JWT_ALGORITHM) ?? 'EdDSA';

/**
 * The functions' environment under `npm start`: safe local values (the development keys — `keys`,
 * those `npm start` keeps (dev/dev-keys.ts), else fresh ones —, the local datastore, the demo
 * page's origins), then every configuration variable set in `source`, which wins.
 */
export async function localEnvironment(
  source: Record<string, string | undefined>,
  local: {
    datastore: { url: string; token: string } | null;
    demoPort: number;
    apiUrl?: string;
    keys?: DevKeys;
  },
): Promise<Record<string, string>> {
  const algorithm = devKeyAlgorithm(source);
  const passedThrough = Object.fromEntries(
    CONFIG_VARIABLE_NAMES.flatMap((name) => (source[name] ? [[name, source[name] as string]] : [])),
  );
  return {
    CORS_ALLOWED_ORIGINS: `http://localhost:${local.demoPort},http://127.0.0.1:${local.demoPort}`,
    // Mailed links open the demo page.
    APP_URL: `http://localhost:${local.demoPort}`,
    // The issuer and jwks_uri: where this launcher serves the API.
    ...(local.apiUrl ? { API_URL: local.apiUrl } : {}),
    ...(source.JWT_PRIVATE_KEY
      ? {}
      : {
          JWT_PRIVATE_KEY:
            local.keys?.JWT_PRIVATE_KEY ?? JSON.stringify((await generateSigningKey(algorithm)).privateJwk),
        }),
    ...(source.TOTP_ENCRYPTION_KEY
      ? {}
      : { TOTP_ENCRYPTION_KEY: local.keys?.TOTP_ENCRYPTION_KEY ?? randomBytes(32).toString('base64url') }),
    ...(local.datastore
      ? { UPSTASH_REDIS_REST_URL: local.datastore.url, UPSTASH_REDIS_REST_TOKEN: local.datastore.token }
      : {}),
    ...passedThrough,
  };
}

export interface OfflineOptions {
  /** Project root (where serverless.yml and dist/ are). */
  root: string;
  /** HTTP port; 0 picks a free one. */
  port?: number;
  /** Port of serverless offline's Lambda Invoke API (the admin commands use it); 0 picks a free one. */
  lambdaPort?: number;
  host?: string;
  /** Environment for the functions (the variables of README "Configuration"). */
  env: Record<string, string>;
  /** The SES v2 endpoint the mail function sends to (dev/mailbox.ts); none: mail cannot go out. */
  mailboxUrl?: string;
  /** Where serverless-offline's own output goes; default: discarded. */
  onOutput?: (chunk: string) => void;
  /** How long to wait for the server to come up. */
  startTimeoutMs?: number;
}

export interface Offline {
  url: string;
  port: number;
  /** serverless offline's Lambda Invoke API (`npm run admin` invokes the admin functions there). */
  lambdaUrl: string;
  child: ChildProcess;
  /** The queue of asynchronous invocations (mail jobs); `drained()` waits for them to run. */
  events: EventQueue;
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
  const lambdaPort = options.lambdaPort || (await freePort(host));
  // Asynchronous invocations (the mail jobs) go through Lambda's local twin, one at a time.
  const events = await startEventQueue({ lambdaUrl: `http://${host}:${lambdaPort}`, host });
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
        // AWS as the functions see it here: asynchronous invocations (signed by lib/aws.ts) go
        // to the local event queue, mail (the SDK's SES client) to the SES emulator. Any
        // credentials do.
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_LAMBDA: events.url,
        ...(options.mailboxUrl ? { AWS_ENDPOINT_URL_SESV2: options.mailboxUrl } : {}),
        // Silences the SDK's notice that its next releases need Node 22 (Lambda runs 22).
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
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
    await events.close();
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
      return { url, port, lambdaUrl: `http://${host}:${lambdaPort}`, child, events, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  await stop();
  throw new Error(`serverless offline did not start within the timeout:\n${output}`);
}
