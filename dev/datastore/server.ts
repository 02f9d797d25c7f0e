import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Outcome } from './backend';
import { Backend } from './backend';
import { generateToken, hasBearerToken } from './bearer-token';
import type { CommandArgs } from './commands';
import { parseCommand, parseCommandList, refusalOf } from './commands';
import type { ReplyEncoding } from './encoding';
import { encodeReply, encodingOf } from './encoding';
import { parseJsonBody, readBody } from './request-body';
import type { DataEndpoint, DatastoreCounts } from './request-counts';
import { RequestCounts } from './request-counts';
import { RestError } from './rest-error';
import { ScriptAliases } from './scripts';

export type { DatastoreCounts } from './request-counts';

export interface DatastoreOptions {
  /** A real Redis (`redis://…`); without it the embedded engine runs in-process. */
  redisUrl?: string;
  /** The Bearer token clients must present; default: random. */
  token?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 10 MiB; larger request bodies get 413. */
  maxBodyBytes?: number;
}

export interface Datastore {
  /** Base URL for `UPSTASH_REDIS_REST_URL`, e.g. `http://127.0.0.1:8079`. */
  url: string;
  token: string;
  /** The backend's `redis://` URL, the embedded engine's too. */
  redisUrl: string;
  backend: 'embedded' | 'redis';
  counts(): DatastoreCounts;
  resetCounts(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

const ROUTES: Record<string, DataEndpoint | 'stats'> = {
  '/': 'command',
  '/pipeline': 'pipeline',
  '/multi-exec': 'multiExec',
  '/__stats': 'stats',
};

interface Context {
  token: string;
  maxBodyBytes: number;
  backend: Backend;
  scripts: ScriptAliases;
  counts: RequestCounts;
}

/**
 * Starts a local server speaking the Upstash Redis REST protocol as @upstash/redis 1.39 uses
 * it: `POST /` (one command), `POST /pipeline`, `POST /multi-exec` (atomic), Bearer auth,
 * `Upstash-Encoding: base64`, plus `GET`/`DELETE /__stats` for round-trip counts.
 * Resolves once it listens; `close()` stops the server and the backend.
 */
export async function startDatastore(options: DatastoreOptions = {}): Promise<Datastore> {
  const backend = await Backend.start(options.redisUrl);
  const context: Context = {
    token: options.token ?? generateToken(),
    maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
    backend,
    scripts: new ScriptAliases(),
    counts: new RequestCounts(),
  };
  const server = createServer((req, res) => {
    handle(req, res, context).catch((error: unknown) => sendError(res, error));
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await listen(server, options.port ?? 0, host);
  } catch (error) {
    await backend.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost(host)}:${port}`,
    token: context.token,
    redisUrl: backend.url,
    backend: backend.kind,
    counts: () => context.counts.snapshot(),
    resetCounts: () => context.counts.reset(),
    close: () => {
      closing ??= stop(server, backend);
      return closing;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, context: Context): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = ROUTES[path];
  if (route === undefined) {
    throw new RestError(404, `ERR no such endpoint ${path}: use POST /, /pipeline or /multi-exec`);
  }
  const allowed = route === 'stats' ? ['GET', 'DELETE'] : ['POST'];
  if (!allowed.includes(req.method ?? '')) {
    res.setHeader('allow', allowed.join(', '));
    throw new RestError(405, `ERR method ${req.method} not allowed on ${path}: use ${allowed.join(' or ')}`);
  }
  if (!hasBearerToken(req.headers.authorization, context.token)) throw new RestError(401, 'Unauthorized');

  if (route === 'stats') {
    if (req.method === 'DELETE') context.counts.reset();
    sendJson(res, 200, context.counts.snapshot());
    return;
  }
  context.counts.record(route);
  const body = parseJsonBody(await readBody(req, context.maxBodyBytes));
  const encoding = encodingOf(req.headers['upstash-encoding']);
  if (route === 'command') sendJson(res, 200, await runCommand(body, encoding, context));
  else if (route === 'pipeline') sendJson(res, 200, await runPipeline(body, encoding, context));
  else sendJson(res, 200, await runTransaction(body, encoding, context));
}

async function runCommand(body: unknown, encoding: ReplyEncoding, { backend, scripts, counts }: Context) {
  const args = parseCommand(body);
  const refusal = refusalOf(args);
  if (refusal !== null) throw new RestError(400, refusal);
  const prepared = scripts.prepare(args);
  if (prepared.refusal) throw new RestError(400, prepared.refusal);
  counts.recordCommand(prepared.args[0]);
  const outcome = await backend.command(prepared.args);
  if (!outcome.ok) throw new RestError(400, outcome.error);
  return { result: encodeReply(prepared.mapReply(outcome.reply), encoding) };
}

async function runPipeline(body: unknown, encoding: ReplyEncoding, { backend, scripts, counts }: Context) {
  const commands = parseCommandList(body);
  const items = commands.map((args) => {
    const refusal = refusalOf(args);
    if (refusal !== null) return { refusal };
    const command = scripts.prepare(args);
    return command.refusal ? { refusal: command.refusal } : { command };
  });
  const prepared = items.flatMap((item) => (item.command ? [item.command] : []));
  for (const command of prepared) counts.recordCommand(command.args[0]);
  const outcomes = await backend.pipeline(prepared.map((command) => command.args));
  let next = 0;
  return items.map((item) => {
    if (!item.command) return { error: item.refusal };
    const index = next++;
    return toItem(outcomes[index], prepared[index]?.mapReply, encoding);
  });
}

async function runTransaction(body: unknown, encoding: ReplyEncoding, { backend, scripts, counts }: Context) {
  const commands = parseCommandList(body);
  // A command REST cannot carry discards the whole transaction, as a queue-time error would.
  const refusal = commands.map(refusalOf).find((message) => message !== null);
  if (refusal) throw new RestError(400, refusal);
  const prepared = commands.map((args: CommandArgs) => scripts.prepare(args));
  const scriptRefusal = prepared.find((command) => command.refusal)?.refusal;
  if (scriptRefusal) throw new RestError(400, scriptRefusal);
  for (const command of prepared) counts.recordCommand(command.args[0]);
  const outcomes = await backend.transaction(prepared.map((command) => command.args));
  return outcomes.map((outcome, i) => toItem(outcome, prepared[i]?.mapReply, encoding));
}

function toItem(
  outcome: Outcome | undefined,
  mapReply: ((reply: unknown) => unknown) | undefined,
  encoding: ReplyEncoding,
): { result: unknown } | { error: string } {
  if (outcome === undefined) return { error: 'ERR no reply from the backend' };
  if (!outcome.ok) return { error: outcome.error };
  return { result: encodeReply(mapReply ? mapReply(outcome.reply) : outcome.reply, encoding) };
}

function sendJson(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof RestError) {
    // The rest of an oversized body is never read, so the connection cannot be reused.
    sendJson(res, error.statusCode, { error: error.message }, error.statusCode === 413);
    return;
  }
  console.error('datastore: unexpected error', error);
  sendJson(res, 500, { error: `ERR internal datastore error: ${(error as Error).message ?? String(error)}` });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function stop(server: Server, backend: Backend): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await backend.close();
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
