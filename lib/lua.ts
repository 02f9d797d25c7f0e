import type { Keys } from './keys';

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
 *
 * The data they keep — every kind of key, its fields, its TTL rule — and the invariants all the
 * scripts keep together (I1–I6, E1, O1–O3) are described once, in lib/data-model/; the README's
 * data tables and dev/verify-data.ts (`npm run verify-data`) are derived from it.
 */

/** Rotated-out refresh-token hashes kept per session for theft detection (oldest dropped first). */
export const SPENT_KEPT = 8;

/** Audit events kept per account at most, whatever the retention (bounds the list a script trims). */
export const EVENTS_KEPT = 500;

export const PRELUDE = `
local A = cjson.decode(ARGV[1])
local function hmap(key)
  local flat = redis.call('HGETALL', key)
  local map = {}
  for i = 1, #flat, 2 do map[flat[i]] = flat[i + 1] end
  return map
end
local function reply(t) return cjson.encode(t) end
local function fmt(n) return string.format('%.0f', n) end
local function public_user(u)
  return { id = u.id, name = u.name, email = u.email, emailVerified = u.emailVerified,
    pendingEmail = u.pendingEmail or cjson.null, createdAt = u.createdAt, updatedAt = u.updatedAt }
end
-- Sessions of a user: one hash, a JSON record per session id (I3, I4).
local function get_session(sessions_key, sid, now)
  local raw = redis.call('HGET', sessions_key, sid)
  if not raw then return nil end
  local s = cjson.decode(raw)
  if tonumber(s.expiresAt) <= now then
    redis.call('HDEL', sessions_key, sid)
    return nil
  end
  return s
end
local function put_session(sessions_key, s, now)
  redis.call('HSET', sessions_key, s.id, cjson.encode(s))
  local wanted = tonumber(s.expiresAt) - now
  if redis.call('PTTL', sessions_key) < wanted then redis.call('PEXPIRE', sessions_key, fmt(wanted)) end
end
local function create_session(sessions_key, session, now)
  put_session(sessions_key, { id = session.id, createdAt = fmt(now), lastUsedAt = fmt(now),
    expiresAt = fmt(now + session.ttlMs), userAgent = session.userAgent, refreshHash = session.refreshHash,
    spent = {} }, now)
end
-- Revokes every session but keep_sid (nil: all); returns how many live ones went.
local function revoke_sessions(sessions_key, keep_sid, now)
  local count = 0
  local flat = redis.call('HGETALL', sessions_key)
  for i = 1, #flat, 2 do
    local sid = flat[i]
    if sid ~= keep_sid then
      if tonumber(cjson.decode(flat[i + 1]).expiresAt) > now then count = count + 1 end
      redis.call('HDEL', sessions_key, sid)
    end
  end
  return count
end
-- A disabled account (user:<uid>.disabledAt, set by the admin command \`disable\`) is refused
-- wherever a session starts or continues: this aborts the script with the error reply
-- ACCOUNT_DISABLED, which lib/datastore.ts answers as 403 account_disabled. Call it before the
-- script's first write (Redis keeps a script's writes made before an error).
local function refuse_disabled(user_key)
  if redis.call('HEXISTS', user_key, 'disabledAt') == 1 then error('ACCOUNT_DISABLED') end
end
-- The session check of every authenticated request: the token's session is alive and its user
-- exists. Returns the user (with its hash) or nil; touches the session's lastUsedAt. A disabled
-- account is refused first (its sessions are gone too, but the answer says why).
local function authenticate(user_key, sessions_key, sid, now)
  refuse_disabled(user_key)
  local s = get_session(sessions_key, sid, now)
  if not s then return nil end
  local u = hmap(user_key)
  if not u.id then return nil end
  s.lastUsedAt = fmt(now)
  put_session(sessions_key, s, now)
  return u
end
-- Counts one attempt on a back-off counter (fields <prefix>count and <prefix>lockedUntil of key);
-- from the threshold-th on, it is locked for 2^(n - threshold) s, capped. A success clears them.
local function count_failure(key, prefix, now, backoff)
  local count = redis.call('HINCRBY', key, prefix .. 'count', 1)
  if count >= backoff.threshold then
    local seconds = math.min(2 ^ (count - backoff.threshold), backoff.capSeconds)
    redis.call('HSET', key, prefix .. 'lockedUntil', fmt(now + seconds * 1000))
  end
  redis.call('EXPIRE', key, backoff.memorySeconds)
end
local function locked_until(key, prefix)
  return tonumber(redis.call('HGET', key, prefix .. 'lockedUntil') or '0')
end
-- The live link of a purpose with this hash, or nil (expired links are deleted on the way; I5).
local function live_link(links_key, purpose, hash, now)
  local raw = redis.call('HGET', links_key, purpose)
  if not raw then return nil end
  local link = cjson.decode(raw)
  if tonumber(link.expiresAt) <= now then
    redis.call('HDEL', links_key, purpose)
    return nil
  end
  if link.hash ~= hash then return nil end
  return link
end
local function put_link(links_key, purpose, link, now)
  redis.call('HSET', links_key, purpose, cjson.encode(link))
  local wanted = tonumber(link.expiresAt) - now
  if redis.call('PTTL', links_key) < wanted then redis.call('PEXPIRE', links_key, fmt(wanted)) end
end
`;

// Helpers of a few scripts each, kept out of PRELUDE (which every script carries).
export const CEILING_LUA = `
-- An account-wide ceiling's window (fields windowStart, windowCount of key): its count so far,
-- a new window begun when the last one is over (counted from its first failure).
local function ceiling_count(key, now, ceiling)
  local window = redis.call('HMGET', key, 'windowStart', 'windowCount')
  local start, count = tonumber(window[1] or '0'), tonumber(window[2] or '0')
  if now - start >= ceiling.windowMs then
    count = 0
    redis.call('HSET', key, 'windowStart', fmt(now), 'windowCount', '0')
    -- Counters forget: a key that had none gets the window's life (a back-off's count extends it).
    if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ceiling.windowMs) end
  end
  return count
end
`;
export const CLEAR_REAUTH_LUA = `
-- A right re-entered password: the session's own count and lock go, and the per-user ceiling
-- takes back the attempt counted up front (BEGIN_REAUTH).
local function clear_reauth(reauth_key, sid)
  redis.call('HDEL', reauth_key, 's:' .. sid .. 'count', 's:' .. sid .. 'lockedUntil')
  if tonumber(redis.call('HGET', reauth_key, 'windowCount') or '0') > 0 then
    redis.call('HINCRBY', reauth_key, 'windowCount', -1)
  end
end
`;

// Helpers only the log-in scripts use (kept out of PRELUDE: every script carries PRELUDE, and
// every function bundles the scripts it runs).
export const LOGIN_HELPERS = `
-- Takes back a log-in attempt counted up front (BEGIN_LOGIN) once it succeeded: the client's
-- back-off cleared, the account-wide ceiling's count down by one.
local function clear_login_failure(failures_key, client, counted)
  redis.call('HDEL', failures_key, 'c:' .. client .. 'count', 'c:' .. client .. 'lockedUntil')
  if counted and tonumber(redis.call('HGET', failures_key, 'windowCount') or '0') > 0 then
    redis.call('HINCRBY', failures_key, 'windowCount', -1)
  end
end
-- A right password whose log-in now waits for a second factor: its up-front count is taken back
-- (from the client and the ceiling), and the lock that count may have set with it, so the client's
-- earlier failures still count but the second step is not blocked by its own password.
local function take_back_attempt(failures_key, client, counted)
  local count_field = 'c:' .. client .. 'count'
  if tonumber(redis.call('HGET', failures_key, count_field) or '0') > 0 then
    redis.call('HINCRBY', failures_key, count_field, -1)
  end
  redis.call('HDEL', failures_key, 'c:' .. client .. 'lockedUntil')
  if counted and tonumber(redis.call('HGET', failures_key, 'windowCount') or '0') > 0 then
    redis.call('HINCRBY', failures_key, 'windowCount', -1)
  end
end
-- The second factors an account has, as mfa_required names them.
local function mfa_methods(mfa_key, passkeys_key)
  local methods = {}
  if redis.call('HEXISTS', mfa_key, 'secret') == 1 then
    table.insert(methods, 'totp')
    local codes = cjson.decode(redis.call('HGET', mfa_key, 'codes') or '[]')
    if #codes > 0 then table.insert(methods, 'recovery_code') end
    if redis.call('HLEN', passkeys_key) > 0 then table.insert(methods, 'passkey') end
  end
  return methods
end
`;

// Appending to an account's event list: only the scripts that do carry it (kept out of PRELUDE).
export const EVENT_HELPERS = `
-- Appends one audit event (a table the script builds: never a secret, hash or token) to the
-- account's list events:<uid>, newest first, and trims it: at most 500 (EVENTS_KEPT), none older than
-- A.eventsRetentionMs (AUDIT_RETENTION_DAYS, added by \`encode\` for scripts that declare events_key).
local function append_event(events_key, entry, now)
  entry.at = fmt(now)
  redis.call('LPUSH', events_key, cjson.encode(entry))
  redis.call('LTRIM', events_key, 0, 499)
  local oldest = redis.call('LINDEX', events_key, -1)
  while oldest and now - tonumber(cjson.decode(oldest).at) > A.eventsRetentionMs do
    redis.call('RPOP', events_key)
    oldest = redis.call('LINDEX', events_key, -1)
  end
  redis.call('PEXPIRE', events_key, fmt(A.eventsRetentionMs))
end
`;

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
  // Lua shared by a few scripts, put before the body here (in order): interpolated into the body's
  // template literal it would keep every such script in every bundle (esbuild cannot prove it pure).
  helpers: string | string[] = '',
  readOnly = false,
): Script<Args, Reply> {
  const bind = keyNames.length
    ? `local ${keyNames.join(', ')} = ${keyNames.map((_, i) => `KEYS[${i + 1}]`).join(', ')}`
    : '';
  return {
    lua: `#!lua flags=${readOnly ? 'no-writes,' : ''}allow-key-locking\n${bind}\n${PRELUDE}\n${[helpers].flat().join('\n')}\n${body}`,
    // A script that appends to events:<uid> learns the retention from the key map.
    encode: keyNames.includes('events_key')
      ? (keys, args) => ({
          keys: keysOf(keys, args),
          argv: [JSON.stringify({ ...args, eventsRetentionMs: keys.eventsRetentionMs })],
        })
      : (keys, args) => ({ keys: keysOf(keys, args), argv: [JSON.stringify(args)] }),
    ...(readOnly ? { readOnly } : {}),
  };
}

// The session check of an authenticated read, which writes nothing (a read-only script): the
// token's session is alive and its user exists. Returns the user (with its hash) and the session,
// or nil. A dead session is left for the next write to prune; `lastUsedAt` is written apart, and
// only when stale (lib/sessions/touch.ts).
export const SESSION_READ = `
local function read_session(user_key, sessions_key, sid, now)
  refuse_disabled(user_key)
  local raw = redis.call('HGET', sessions_key, sid)
  if not raw then return nil end
  local s = cjson.decode(raw)
  if tonumber(s.expiresAt) <= now then return nil end
  local u = hmap(user_key)
  if not u.id then return nil end
  return u, s
end
`;

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
 * The members of a read-only session check's `ok` reply (SESSION_READ): the session's stored
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
