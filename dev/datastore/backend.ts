import net from 'node:net';
import { Redis } from 'ioredis';
import { createRedisMock } from 'js-redis-server';
import type { CommandArgs } from './commands';
import { RestError } from './rest-error';

/** What one command produced: a reply (ioredis buffer mode) or the Redis error text. */
export type Outcome = { ok: true; reply: unknown } | { ok: false; error: string };

/**
 * The Redis the REST layer talks to, through one ioredis connection in buffer mode, so
 * replies keep their raw bytes and their RESP2 shape.
 *
 * Command names are sent upper-case on purpose: ioredis keys its reply transformers by the
 * lower-case name (`hgetall` → object), and an upper-case name bypasses them, leaving HGETALL
 * the flat array Upstash returns, without changing ioredis for anyone else in the process.
 */
export class Backend {
  private constructor(
    readonly kind: 'embedded' | 'redis',
    readonly url: string,
    private readonly client: Redis,
    private readonly stopEngine: () => Promise<void>,
  ) {}

  /**
   * Connects to the Redis at `redisUrl`, or, without one, starts the embedded engine
   * (js-redis-server, a RESP server on a random local port) and connects to that.
   */
  static async start(redisUrl?: string): Promise<Backend> {
    if (redisUrl) return new Backend('redis', redisUrl, await connect(redisUrl), async () => {});
    const engine = await withNoDelayServers(() => createRedisMock({ compatibility: 'redis-7.0' }));
    try {
      return new Backend('embedded', engine.url, await connect(engine.url), () => engine.close());
    } catch (error) {
      await engine.close();
      throw error;
    }
  }

  /** Runs one command. Redis errors come back as outcomes; a lost backend throws a 502 `RestError`. */
  async command(args: CommandArgs): Promise<Outcome> {
    const [name, ...rest] = args;
    try {
      return { ok: true, reply: await this.client.callBuffer(name.toUpperCase(), ...rest) };
    } catch (error) {
      return failedCommand(error);
    }
  }

  /** Runs commands in order, without atomicity; each one succeeds or fails on its own. */
  async pipeline(commands: readonly CommandArgs[]): Promise<Outcome[]> {
    const pipeline = this.client.pipeline();
    for (const [name, ...rest] of commands) pipeline.callBuffer(name.toUpperCase(), ...rest);
    const results = await pipeline.exec().catch(unavailable);
    return (results ?? []).map(([error, reply]) => (error ? failedCommand(error) : { ok: true, reply }));
  }

  /**
   * Runs commands as MULTI … EXEC. ioredis writes the whole block at once on the single
   * connection, so no other request's command can land inside it: transactions never
   * interleave. A command rejected at queue time discards the transaction, which throws a
   * 400 `RestError` with Redis's EXECABORT text; a runtime error fails only its own command.
   */
  async transaction(commands: readonly CommandArgs[]): Promise<Outcome[]> {
    const multi = this.client.multi();
    for (const [name, ...rest] of commands) multi.callBuffer(name.toUpperCase(), ...rest);
    const results = await multi.exec().catch((error: unknown) => {
      if (isReplyError(error)) throw new RestError(400, error.message);
      return unavailable(error);
    });
    if (results === null) throw new RestError(400, 'EXECABORT Transaction aborted');
    return results.map(([error, reply]) => (error ? failedCommand(error) : { ok: true, reply }));
  }

  /** Closes the connection, then the embedded engine if there is one. */
  async close(): Promise<void> {
    if (this.client.status !== 'end') {
      // QUIT resolves on Redis's OK, before the socket closes; wait for that too, so
      // nothing holds the process open after close() resolves.
      const ended = new Promise((resolve) => this.client.once('end', resolve));
      await this.client.quit().catch(() => this.client.disconnect());
      await ended;
    }
    await this.stopEngine();
  }
}

async function connect(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  // Failures reach callers through the command promises; without a listener ioredis
  // would print every reconnection attempt.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${url}: ${(error as Error).message}`);
  }
  return client;
}

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

function failedCommand(error: unknown): Outcome {
  if (isReplyError(error)) return { ok: false, error: error.message };
  return unavailable(error);
}

function unavailable(error: unknown): never {
  throw new RestError(502, `ERR datastore backend unavailable: ${(error as Error).message ?? String(error)}`);
}

/**
 * js-redis-server creates its TCP server without `noDelay`, so a pipeline's several small replies
 * meet Nagle's algorithm and the client's delayed ACK: ~40 ms per multi-command request instead of
 * ~1 ms. The engine offers no hook, so `net.createServer` is wrapped while the engine starts.
 */
async function withNoDelayServers<T>(start: () => Promise<T>): Promise<T> {
  const original = net.createServer;
  const patched = ((...args: Parameters<typeof net.createServer>) =>
    original(...args).on('connection', (socket: net.Socket) =>
      socket.setNoDelay(true),
    )) as typeof net.createServer;
  net.createServer = patched;
  try {
    return await start();
  } finally {
    net.createServer = original;
  }
}
