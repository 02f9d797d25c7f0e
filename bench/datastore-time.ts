import { Redis as IoRedis } from 'ioredis';

/** The datastore's own time for an endpoint's requests, read from the Redis behind the REST server. */
export interface DatastoreTime {
  requests: number;
  /** Execution time in Redis per API request, µs: the time a request holds its keys on Upstash. */
  microsPerRequest: number;
  /** Commands the REST server sent per API request (a script counts once, not its calls inside). */
  commandsPerRequest: number;
  /** µs per API request by command, largest first (`evalsha`, …). */
  byCommand: Array<{ command: string; microsPerRequest: number }>;
}

/** Measures what Redis spends on the requests made by `work`; one at a time. */
export interface DatastoreClock {
  measure(requests: number, work: () => Promise<void>): Promise<DatastoreTime>;
  close(): Promise<void>;
}

/** The name our own connection carries, so that its commands are left out of the sums. */
const CLOCK_NAME = 'bench-datastore-clock';
const SLOWLOG_MAX_LEN = 100_000;

/** One SLOWLOG entry: id, unix time, duration µs, arguments, client address, client name. */
type SlowlogEntry = [number, number, number, string[], string, string];

/**
 * A clock on the Redis at `redisUrl`, or null when there is none (the embedded engine: its Lua runs
 * in WebAssembly inside the REST server's process and has no per-command accounting to read).
 *
 * Why SLOWLOG and not `INFO commandstats`: commandstats charges a command called from a script
 * twice, once inside the script's own time and once on its own line (checked on Redis 7.0), so
 * summing it over-counts every script-based endpoint. SLOWLOG with a threshold of 0 logs every
 * command with the same duration commandstats uses, and tells the calls made inside a script
 * (client address `?:0`) from the commands the REST server sent, which are what hold keys.
 * MULTI/EXEC is logged as the commands inside it (EXEC itself is not logged). The slow-log
 * settings are raised only while `measure` runs and put back afterwards.
 */
export async function openDatastoreClock(redisUrl: string | null): Promise<DatastoreClock | null> {
  if (!redisUrl) return null;
  const redis = new IoRedis(redisUrl, { connectionName: CLOCK_NAME, lazyConnect: true });
  await redis.connect();
  const setting = async (name: string) => ((await redis.config('GET', name)) as string[])[1] ?? '';
  const saved = {
    threshold: await setting('slowlog-log-slower-than'),
    maxLen: await setting('slowlog-max-len'),
  };
  const restore = async () => {
    await redis.config('SET', 'slowlog-log-slower-than', saved.threshold);
    await redis.config('SET', 'slowlog-max-len', saved.maxLen);
  };
  return {
    async measure(requests, work) {
      await redis.config('SET', 'slowlog-max-len', String(SLOWLOG_MAX_LEN));
      await redis.slowlog('RESET');
      await redis.config('SET', 'slowlog-log-slower-than', '0');
      try {
        await work();
      } finally {
        await redis.config('SET', 'slowlog-log-slower-than', saved.threshold);
      }
      const entries = (await redis.call('SLOWLOG', 'GET', '-1')) as SlowlogEntry[];
      await restore();
      if (entries.length >= SLOWLOG_MAX_LEN) throw new Error('datastore clock: the slow log overflowed');
      const sent = entries.filter(
        ([, , , , address, name]) => name !== CLOCK_NAME && address !== '?:0' && address !== '',
      );
      const byCommand = new Map<string, number>();
      for (const [, , micros, args] of sent) {
        const command = (args[0] ?? '?').toLowerCase();
        byCommand.set(command, (byCommand.get(command) ?? 0) + micros);
      }
      const total = [...byCommand.values()].reduce((sum, micros) => sum + micros, 0);
      return {
        requests,
        microsPerRequest: total / requests,
        commandsPerRequest: sent.length / requests,
        byCommand: [...byCommand]
          .map(([command, micros]) => ({ command, microsPerRequest: micros / requests }))
          .sort((a, b) => b.microsPerRequest - a.microsPerRequest),
      };
    },
    async close() {
      await restore();
      redis.disconnect();
    },
  };
}
