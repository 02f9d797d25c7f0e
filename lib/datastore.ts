import { createHash } from 'node:crypto';
import { Redis } from '@upstash/redis';
import type { Config } from './config';
import { AppError, problem, ServiceUnavailableError } from './errors';
import { countMetric } from './metrics';

/** Runs one Lua script (EVALSHA, EVAL on NOSCRIPT) and returns its JSON-decoded reply. One round trip when warm. */
export type ScriptRunner = (keys: string[], args: (string | number)[]) => Promise<unknown>;

/** The Redis REST client plus the script runner every store uses. */
export interface Datastore {
  redis: Redis;
  /** A runner of `lua`; `readOnly` runs it with EVALSHA_RO (then EVAL_RO on NOSCRIPT). */
  script(lua: string, options?: { readOnly?: boolean }): ScriptRunner;
  /** How old a session's `lastUsedAt` may grow before a read-only session check writes it (lib/sessions/touch.ts). */
  sessionTouchMs: number;
}

/**
 * Builds the Upstash REST client. No retries: every write here is a Lua script, and replaying one
 * after a timeout could apply it twice (a user created, then answered 409). A datastore that does
 * not answer within `timeoutMs` makes the request fail fast with 503 instead.
 */
export function createDatastore(
  config: Pick<Config['datastore'], 'url' | 'token' | 'timeoutMs'> & { sessionTouchMs?: number },
): Datastore {
  const redis = new Redis({
    url: config.url,
    token: config.token,
    enableTelemetry: false,
    automaticDeserialization: false,
    readYourWrites: false,
    // A Lambda serves one request at a time and every operation is one script: batching
    // concurrent calls into /pipeline would only add a tick.
    enableAutoPipelining: false,
    retry: false,
    signal: () => AbortSignal.timeout(config.timeoutMs),
  });
  return {
    redis,
    sessionTouchMs: config.sessionTouchMs ?? 60_000,
    script(lua, options = {}) {
      // EVALSHA (EVALSHA_RO), then EVAL (EVAL_RO) when the datastore does not have the script yet,
      // as the client's `createScript` does; the SHA-1 is node:crypto's, on first use: the client
      // hashes through WebCrypto, whose first use loads Node's WebCrypto layer (≈2 ms of a cold
      // request).
      let sha1: string | undefined;
      const [bySha, byText] = options.readOnly
        ? [redis.evalshaRo, redis.evalRo]
        : [redis.evalsha, redis.eval];
      return async (keys, args) => {
        // Decoding is part of the call: a reply that is not the script's JSON is a datastore fault (503).
        return translateErrors(async () => {
          sha1 ??= createHash('sha1').update(lua).digest('hex');
          const argv = args.map(String);
          const reply = await bySha<string[], unknown>(sha1, keys, argv).catch((error: unknown) => {
            if (error instanceof Error && /NOSCRIPT/i.test(error.message))
              return byText<string[], unknown>(lua, keys, argv);
            throw error;
          });
          return typeof reply === 'string' ? (JSON.parse(reply) as unknown) : reply;
        });
      };
    },
  };
}

/**
 * Maps datastore failures onto the error contract: a Lua error is a bug (500); anything else —
 * unreachable, timed out, throttled, a proxy's HTML error page — is 503 with `Retry-After`.
 */
export async function translateErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof AppError) throw error;
    // The client appends the whole command to its messages; it carries hashes, so it is cut off here.
    const message = (error instanceof Error ? error.message : String(error)).split(', command was:')[0] ?? '';
    // A script's refusal of a disabled account (`refuse_disabled` in lib/scripts.ts), not a fault.
    if (/\bACCOUNT_DISABLED\b/.test(message)) throw problem('account_disabled');
    const cause = new Error(`datastore: ${message.slice(0, 300)}`);
    if (/user_script|Error running script|ERR Error compiling/i.test(message)) {
      throw Object.assign(problem('internal_error'), { cause });
    }
    countMetric('DatastoreErrors');
    throw Object.assign(new ServiceUnavailableError(), { cause });
  }
}
