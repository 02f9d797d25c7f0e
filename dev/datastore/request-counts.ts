/** Requests served per data endpoint since start-up or the last reset, and the commands they ran. */
export interface DatastoreCounts {
  command: number;
  pipeline: number;
  multiExec: number;
  total: number;
  /** Commands run, by lower-case name as the backend ran them (a `no-writes` script's EVALSHA is `evalsha_ro`). */
  commands: Record<string, number>;
  /** Commands that may write: every one but reads and read-only scripts (whose writes Redis refuses). */
  writes: number;
}

/** The data endpoints; `/__stats` itself is never counted. */
export type DataEndpoint = 'command' | 'pipeline' | 'multiExec';

/** Commands that never write data; a script counts as a read only when it runs read-only. */
const READS = new Set([
  'eval_ro',
  'evalsha_ro',
  'get',
  'mget',
  'getrange',
  'strlen',
  'hget',
  'hmget',
  'hgetall',
  'hexists',
  'hlen',
  'hkeys',
  'hvals',
  'hscan',
  'exists',
  'type',
  'ttl',
  'pttl',
  'scan',
  'keys',
  'dbsize',
  'smembers',
  'sismember',
  'scard',
  'sscan',
  'zrange',
  'zscore',
  'zcard',
  'zscan',
  'lrange',
  'llen',
  'xrange',
  'xread',
  'ping',
  'echo',
  'time',
  'info',
  'command',
]);

/**
 * Counts REST round trips per endpoint, so tests and benchmarks can assert how many
 * datastore hops one API request costs (each one is a network hop in production), and the
 * commands they carried, so they can assert that a read wrote nothing.
 */
export class RequestCounts {
  #counts: DatastoreCounts = zeroCounts();

  /** Records one request to `endpoint`. */
  record(endpoint: DataEndpoint): void {
    this.#counts[endpoint] += 1;
    this.#counts.total += 1;
  }

  /** Records one command sent to the backend (`name` as sent). */
  recordCommand(name: string): void {
    const command = name.toLowerCase();
    this.#counts.commands[command] = (this.#counts.commands[command] ?? 0) + 1;
    if (!READS.has(command)) this.#counts.writes += 1;
  }

  /** Returns a snapshot; later requests do not change it. */
  snapshot(): DatastoreCounts {
    return { ...this.#counts, commands: { ...this.#counts.commands } };
  }

  /** Sets every count back to zero. */
  reset(): void {
    this.#counts = zeroCounts();
  }
}

function zeroCounts(): DatastoreCounts {
  return { command: 0, pipeline: 0, multiExec: 0, total: 0, commands: {}, writes: 0 };
}
