import type { Datastore } from './datastore';
import type { Keys } from './keys';
import type { LuaHelper } from './lua-helpers';

/**
 * The Lua scripts behind every change that touches more than one key. Redis runs a script
 * atomically, so each one is a transaction with its checks inside: no read-then-write races.
 *
 * Conventions, for Upstash at scale (README, "Data model"):
 * - Every script starts with `#!lua flags=allow-key-locking` and is called with every key it
 *   touches in KEYS, so Upstash locks only those keys (not the whole database), and the local
 *   datastore refuses any other key, as Upstash does. Key names come from `keys.ts` only: a
 *   script never builds one. The session reads are `#!lua flags=no-writes,allow-key-locking`
 *   (read-only: EVALSHA_RO, replica reads on Upstash Global; lib/sessions/touch.ts).
 * - Arguments are named: one JSON document in ARGV[1], encoded by the script's own `encode`;
 *   KEYS positions are bound to names on the script's first line and nowhere else.
 * - Every script answers one JSON document (`cjson.encode`) with a `status` member.
 * - The Lua functions scripts share are in lib/lua-helpers.ts; a script lists the ones it calls.
 *
 * The data they keep — every kind of key, its fields, its TTL rule — and the invariants all the
 * scripts keep together (I1–I6, E1, O1–O3) are described once, in lib/data-model/; the README's
 * data tables and dev/verify-data.ts (`npm run verify-data`) are derived from it.
 */

/** Rotated-out refresh-token hashes kept per session for theft detection (oldest dropped first). */
export const SPENT_KEPT = 8;

/** Audit events kept per account at most, whatever the retention (bounds the list a script trims). */
export const EVENTS_KEPT = 500;

/** What every script starts with: its named arguments (one JSON document) and its reply encoder. */
export const PRELUDE = `
local A = cjson.decode(ARGV[1])
local function reply(t) return cjson.encode(t) end
`;

/** `helpers` in the order a script needs them: each shared helper once, after those it uses; then the script's own fragments, as given. */
function helperLua(helpers: readonly (string | LuaHelper)[]): string {
  const placed = new Set<LuaHelper>();
  const shared: string[] = [];
  const place = (helper: LuaHelper): void => {
    if (placed.has(helper)) return;
    placed.add(helper);
    for (const used of helper.uses ?? []) place(used);
    shared.push(helper.lua);
  };
  for (const helper of helpers) if (typeof helper !== 'string') place(helper);
  return [...shared, ...helpers.filter((helper) => typeof helper === 'string')].join('\n');
}

/** A read-only script's follow-up, given the datastore, the key map, the script's arguments and its reply. */
export type AfterRead = (
  datastore: Datastore,
  keys: Keys,
  args: { userId: string; sessionId: string; now: number },
  reply: { status: string; lastUsedAt?: string | number; touchedAt?: number },
) => Promise<void>;

/**
 * One script: its Lua, the one function that puts named keys and arguments in their places, and
 * (as a type only) the JSON document its Lua answers, declared beside the Lua it describes.
 */
export interface Script<Args, Reply extends { status: string }> {
  lua: string;
  encode(keys: Keys, args: Args): { keys: string[]; argv: string[] };
  /**
   * Flagged `no-writes` and run with EVALSHA_RO: Redis refuses any write in it, Upstash Global may
   * answer it from the nearest read replica, and it takes shared locks on its keys.
   */
  readOnly?: boolean;
  /**
   * What the runner does after a read-only script answered: the session touch
   * (lib/sessions/touch.ts `touchIfStale`), handed in by the session reads themselves (or, for the
   * user reader's check, by the functions whose reads it is), so that only they bundle it.
   */
  afterRead?: AfterRead;
  /** Never set: carries `Reply` to the runner (lib/script-runner.ts), which answers it typed. */
  readonly reply?: Reply;
}

/**
 * Defines a script (feature folders define theirs with it too). `keyNames` binds KEYS positions to Lua locals on the first line after the
 * flag; `keysOf` returns the keys in the same order; every other argument travels by name in A.
 */
export function script<Args, Reply extends { status: string }>(
  keyNames: string[],
  keysOf: (keys: Keys, args: Args) => string[],
  body: string,
  // The shared helpers the script calls (LuaHelper), and Lua fragments of its own file (strings,
  // in order), put before the body here: interpolated into the body's template literal they would
  // keep every such script in every bundle (esbuild cannot prove it pure).
  helpers: string | LuaHelper | readonly (string | LuaHelper)[] = [],
  // Read-only (`no-writes`, EVALSHA_RO); an `AfterRead` is called by the runner after it.
  read?: true | AfterRead,
): Script<Args, Reply> {
  const readOnly = read !== undefined;
  const afterRead = typeof read === 'function' ? read : undefined;
  const bind = keyNames.length
    ? `local ${keyNames.join(', ')} = ${keyNames.map((_, i) => `KEYS[${i + 1}]`).join(', ')}`
    : '';
  return {
    lua: `#!lua flags=${readOnly ? 'no-writes,' : ''}allow-key-locking\n${bind}\n${PRELUDE}\n${helperLua([helpers].flat())}\n${body}`,
    // A script that appends to events:<uid> learns the retention from the key map.
    encode: keyNames.includes('events_key')
      ? (keys, args) => ({
          keys: keysOf(keys, args),
          argv: [JSON.stringify({ ...args, eventsRetentionMs: keys.eventsRetentionMs })],
        })
      : (keys, args) => ({ keys: keysOf(keys, args), argv: [JSON.stringify(args)] }),
    ...(readOnly ? { readOnly } : {}),
    ...(afterRead ? { afterRead } : {}),
  };
}

/**
 * A user's public fields as `public_user(u)` puts them in a reply: the stored strings (epoch ms
 * as strings, `emailVerified` '1'/'0', absent on accounts from before version 2), no hash.
 */
export interface PublicUserReply {
  id: string;
  name: string;
  email: string;
  emailVerified?: string;
  pendingEmail: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A whole hash as `hmap` reads it (a user:<uid> record, hash included): every field a string. */
export type HashReply = Record<string, string | undefined>;

/** A Lua list in a reply: cjson encodes an empty table as `{}`, so read it with `Array.isArray`. */
export type LuaList<T> = T[] | Record<string, never>;

/** A refusal that names a deadline (`lockedUntil`, epoch ms) or, for an account-wide ceiling, none. */
export interface LockedReply {
  status: 'locked';
  lockedUntil?: number;
  ceiling?: true;
}

/**
 * The members of a read-only session check's `ok` reply (READ_SESSION_LUA): the session's stored
 * `lastUsedAt`; `touchedAt` is added by the runner when it wrote `lastUsedAt` (lib/sessions/touch.ts).
 */
export interface SessionReadReply {
  lastUsedAt: string;
  touchedAt?: number;
}

/** A new session's id, first refresh-token hash, lifetime and client. */
export interface SessionArgs {
  id: string;
  refreshHash: string;
  ttlMs: number;
  userAgent: string;
}

/** A log-in waiting for its second factor: the mfaToken's id and hash, its lifetime, the client. */
export interface MfaLoginArgs {
  id: string;
  hash: string;
  ttlMs: number;
  userAgent: string;
}

/** Back-off parameters: after `threshold` counted attempts, 2^(n−threshold) s, capped; forgotten after `memorySeconds`. */
export interface BackoffArgs {
  threshold: number;
  capSeconds: number;
  memorySeconds: number;
}

/** The account-wide ceiling on log-in failures: `limit` per window of `windowMs`, counted from its first. */
export interface CeilingArgs {
  limit: number;
  windowMs: number;
}

/** The arguments of a change made after a re-entered password (BEGIN_REAUTH): who, and the hash verified. */
export interface ReauthArgs {
  userId: string;
  sessionId: string;
  now: number;
  verifiedHash: string;
}

/** The refusals REAUTHENTICATED answers: the session is gone, or the password changed since it was verified. */
export type ReauthRefusal = { status: 'unauthorized' } | { status: 'stale' };

// The checks every second-factor change after a re-entered password starts with: the session, the
// password hash still the one verified, and the re-authentication back-off cleared.
export const REAUTHENTICATED = `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
clear_reauth(reauth_key, A.sessionId)
`;
