import { emailSelector, type Keys } from './keys';
import { IDENTITY_HELPERS, indexKeys } from './oauth/identity-cleanup';

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
 * Data (under the key prefix):
 *   user:<uid>          hash  id, name, email, emailVerified ('1'/'0'), passwordHash, createdAt, updatedAt,
 *                             disabledAt, disabledReason (while an operator has disabled it; lib/admin/)
 *   email:<e>           hash  userId, passwordHash — the log-in credential, found by email alone
 *   sessions:<uid>      hash  <sid> → JSON {id, createdAt, lastUsedAt, expiresAt, userAgent,
 *                             refreshHash, spent: [{h, at}] (the last SPENT_KEPT rotated-out hashes)}
 *   login-failures:<e>  hash  c:<client>count, c:<client>lockedUntil: the log-in back-off of an email
 *                             per client (IP, or IPv6 /64); windowStart, windowCount: the
 *                             account-wide ceiling's current window
 *   reauth-failures:<uid> hash count, lockedUntil: re-entered passwords of a signed-in user
 *   links:<uid>         hash  verify → JSON {hash, email, expiresAt}; reset → JSON {hash, expiresAt}:
 *                             the user's one live link of each purpose (hashes of link tokens)
 *   mfa:<uid>           hash  pending / secret (TOTP secrets, encrypted), enabledAt, lastStep (the
 *                             last time step accepted), codes (JSON array of recovery-code hashes)
 *   mfa-logins:<uid>    hash  <loginId> → JSON {hash, expiresAt, attempts, client, email}: log-ins
 *                             whose password was right, waiting for the second factor
 *   passkeys:<uid>      hash  <credentialId> → JSON {id, publicKey, counter, transports, name,
 *                             createdAt, lastUsedAt}
 *   webauthn:<uid>      hash  registration → JSON {challenge, expiresAt}; TTL
 *   webauthn-login:<c>  string a passkey log-in's challenge; TTL 300 s
 *   events:<uid>        list  the account's audit events, newest first (JSON {event, at, …}); trimmed to
 *                             AUDIT_RETENTION_DAYS and EVENTS_KEPT by the scripts that append; TTL
 *   devices:<uid>       hash  digest of a User-Agent → last sign-in from it (lib/notices/)
 *
 * Invariants kept by all of them together (dev/verify-data.ts checks them):
 *   I1  email:<e> exists ⇔ user:<id> exists with email = e; email:<e>.userId = id
 *   I2  email:<e>.passwordHash = user:<email:<e>.userId>.passwordHash
 *   I3  sessions:<uid> exists ⇒ user:<uid> exists; every session's refreshHash is unique to it
 *   I4  sessions:<uid> carries a TTL no earlier than its latest session's expiresAt; a session
 *       past its expiresAt is dead (pruned when next touched)
 *   I5  links:<uid> exists ⇒ user:<uid> exists; each link is {hash, expiresAt} (a verify link
 *       also names the address it was mailed to, the user's current email); the key carries a
 *       TTL no earlier than its latest link's expiresAt; a link past it is dead
 *   I6  mfa:<uid>, mfa-logins:<uid>, passkeys:<uid>, webauthn:<uid>, events:<uid>, devices:<uid>
 *       exist ⇒ user:<uid> exists;
 *       mfa-logins:<uid> and webauthn:<uid> carry a TTL
 */

/** Rotated-out refresh-token hashes kept per session for theft detection (oldest dropped first). */
export const SPENT_KEPT = 8;

/** Audit events kept per account at most, whatever the retention (bounds the list a script trims). */
export const EVENTS_KEPT = 500;

const PRELUDE = `
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
const CEILING_LUA = `
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
const CLEAR_REAUTH_LUA = `
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

/** One script: its Lua, and the one function that puts named keys and arguments in their places. */
export interface Script<Args> {
  lua: string;
  encode(keys: Keys, args: Args): { keys: string[]; argv: string[] };
  /**
   * Flagged `no-writes` and run with EVALSHA_RO: Redis refuses any write in it, Upstash Global may
   * answer it from the nearest read replica, and it takes shared locks on its keys.
   */
  readOnly?: boolean;
}

/**
 * Defines a script (feature folders define theirs with it too). `keyNames` binds KEYS positions to Lua locals on the first line after the
 * flag; `keysOf` returns the keys in the same order; every other argument travels by name in A.
 */
export function script<Args>(
  keyNames: string[],
  keysOf: (keys: Keys, args: Args) => string[],
  body: string,
  // Lua shared by a few scripts, put before the body here (in order): interpolated into the body's
  // template literal it would keep every such script in every bundle (esbuild cannot prove it pure).
  helpers: string | string[] = '',
  readOnly = false,
): Script<Args> {
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
const SESSION_READ = `
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

/** Register (I1–I3): claim the email, create the user and its first session — all or nothing. */
export const REGISTER = /* @__PURE__ */ script<{
  userId: string;
  name: string;
  email: string;
  passwordHash: string;
  now: number;
  session: SessionArgs | null;
}>(
  ['email_key', 'user_key', 'sessions_key', 'events_key'],
  (k, a) => [k.email(a.email), k.user(a.userId), k.sessions(a.userId), k.events(a.userId)],
  `
if redis.call('EXISTS', email_key) == 1 then return reply({ status = 'email_taken' }) end
redis.call('HSET', email_key, 'userId', A.userId, 'passwordHash', A.passwordHash)
redis.call('HSET', user_key, 'id', A.userId, 'name', A.name, 'email', A.email, 'emailVerified', '0',
  'passwordHash', A.passwordHash, 'createdAt', fmt(A.now), 'updatedAt', fmt(A.now))
if A.session ~= cjson.null then create_session(sessions_key, A.session, A.now) end
append_event(events_key, { event = 'registered' }, A.now)
return reply({ status = 'ok' })
`,
  EVENT_HELPERS,
);

/**
 * Log-in start: check the back-off of this (email, client) and the email's account-wide ceiling,
 * and count this attempt as a failure on both up front, in one step, so parallel guesses cannot
 * all slip past the lock while their hashes are checked. A success takes it back (LOGIN).
 * Unknown emails are counted too: no enumeration. The per-client back-off means a stranger who
 * knows an email cannot lock its owner out from elsewhere; the ceiling (`ceiling.limit` failures
 * per `ceiling.windowMs`, from the first) still bounds guessing spread over many clients.
 */
export const BEGIN_LOGIN = /* @__PURE__ */ script<{
  email: string;
  client: string;
  now: number;
  backoff: BackoffArgs;
  ceiling: CeilingArgs;
  /** The user a valid known-device token names (lib/known-devices.ts), or null. */
  deviceUserId: string | null;
}>(
  ['failures_key', 'email_key'],
  (k, a) => [k.loginFailures(a.email), k.email(a.email)],
  `
local prefix = 'c:' .. A.client
local until_ms = locked_until(failures_key, prefix)
if until_ms > A.now then return reply({ status = 'locked', lockedUntil = until_ms }) end
local credential = redis.call('HMGET', email_key, 'userId', 'passwordHash')
-- A device that signed in to this account before (a known-device token naming its user) is exempt
-- from the ceiling, not from its own back-off: the ceiling cannot lock the owner out of their devices.
local known = credential[1] ~= false and A.deviceUserId ~= cjson.null and credential[1] == A.deviceUserId
if not known then
  -- The ceiling's answer names no deadline: it would tell an attacker when to renew the lock-out.
  if ceiling_count(failures_key, A.now, A.ceiling) >= A.ceiling.limit then
    return reply({ status = 'locked', ceiling = true })
  end
  redis.call('HINCRBY', failures_key, 'windowCount', 1)
end
count_failure(failures_key, prefix, A.now, A.backoff)
if not credential[1] then return reply({ status = 'ok' }) end
return reply({ status = 'ok', userId = credential[1], passwordHash = credential[2], ceilingCounted = not known })
`,
  [CEILING_LUA],
);

/**
 * Log-in commit (I2, I3): open a session only if the password hash is still the one just verified
 * (a concurrent password change or deletion wins), re-hash if asked, and take the attempt back
 * from the back-off. With `requireVerified`, an unverified email opens nothing (after the password
 * was checked). With a second factor on, no session either: the log-in waits for the factor
 * (`mfaLogin`, answered as `mfa_required`); the client's earlier failures are not cleared (only a
 * completed second step clears them), so wrong codes add up across log-ins.
 */
export const LOGIN = /* @__PURE__ */ script<{
  userId: string;
  email: string;
  client: string;
  verifiedHash: string;
  newHash: string | null;
  requireVerified: boolean;
  /** Whether BEGIN_LOGIN counted this attempt on the ceiling (not for a known device). */
  ceilingCounted: boolean;
  now: number;
  session: SessionArgs;
  mfaLogin: MfaLoginArgs;
}>(
  [
    'email_key',
    'failures_key',
    'user_key',
    'sessions_key',
    'mfa_key',
    'mfa_logins_key',
    'passkeys_key',
    'events_key',
  ],
  (k, a) => [
    k.email(a.email),
    k.loginFailures(a.email),
    k.user(a.userId),
    k.sessions(a.userId),
    k.mfa(a.userId),
    k.mfaLogins(a.userId),
    k.passkeys(a.userId),
    k.events(a.userId),
  ],
  `
if redis.call('HGET', email_key, 'userId') ~= A.userId then return reply({ status = 'stale' }) end
if redis.call('HGET', user_key, 'passwordHash') ~= A.verifiedHash then return reply({ status = 'stale' }) end
if A.newHash ~= cjson.null then
  redis.call('HSET', user_key, 'passwordHash', A.newHash)
  redis.call('HSET', email_key, 'passwordHash', A.newHash)
end
local u = hmap(user_key)
-- After the password check, as email_not_verified: a guesser learns nothing from it.
if u.disabledAt then
  clear_login_failure(failures_key, A.client)
  return reply({ status = 'disabled' })
end
if A.requireVerified and u.emailVerified ~= '1' then
  clear_login_failure(failures_key, A.client, A.ceilingCounted)
  return reply({ status = 'unverified' })
end
local methods = mfa_methods(mfa_key, passkeys_key)
if #methods > 0 then
  local m = A.mfaLogin
  redis.call('HSET', mfa_logins_key, m.id, cjson.encode({ hash = m.hash, expiresAt = fmt(A.now + m.ttlMs),
    attempts = 0, client = A.client, email = A.email, userAgent = m.userAgent, ceiling = A.ceilingCounted }))
  if redis.call('PTTL', mfa_logins_key) < m.ttlMs then redis.call('PEXPIRE', mfa_logins_key, m.ttlMs) end
  take_back_attempt(failures_key, A.client, A.ceilingCounted)
  return reply({ status = 'mfa_required', methods = methods })
end
append_event(events_key, { event = 'logged_in', method = 'password', userAgent = A.session.userAgent }, A.now)
clear_login_failure(failures_key, A.client, A.ceilingCounted)
create_session(sessions_key, A.session, A.now)
return reply({ status = 'ok', user = public_user(u) })
`,
  [LOGIN_HELPERS, EVENT_HELPERS],
);

/**
 * The session check and the user in one round trip (profile reads, the body-error check).
 * Read-only: answers the session's `lastUsedAt` for the touch that may follow.
 */
export const AUTHENTICATE = /* @__PURE__ */ script<{ userId: string; sessionId: string; now: number }>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
local u, s = read_session(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
return reply({ status = 'ok', user = u, lastUsedAt = s.lastUsedAt })
`,
  SESSION_READ,
  true,
);

/** A re-entered password's start: who, and the back-off and ceiling it is counted on. */
export interface ReauthStartArgs {
  userId: string;
  sessionId: string;
  now: number;
  backoff: BackoffArgs;
  ceiling: CeilingArgs;
}

// The start of every re-entered password: the session check, then this session's back-off and the
// user's ceiling checked, and the attempt counted on both up front, atomically, as log-in does.
const BEGIN_REAUTH_LUA = `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
local prefix = 's:' .. A.sessionId
local until_ms = locked_until(reauth_key, prefix)
if until_ms > A.now then return reply({ status = 'locked', lockedUntil = until_ms }) end
if ceiling_count(reauth_key, A.now, A.ceiling) >= A.ceiling.limit then
  return reply({ status = 'locked', ceiling = true })
end
redis.call('HINCRBY', reauth_key, 'windowCount', 1)
count_failure(reauth_key, prefix, A.now, A.backoff)
-- The session's age: a fresh one stands in for the password an account without one cannot enter.
local session_created_at = tonumber(cjson.decode(redis.call('HGET', sessions_key, A.sessionId)).createdAt)
`;

/**
 * A re-entered password (email change, password change, deletion): the session check, then the
 * re-authentication back-off of this session (and the user's ceiling) checked and this attempt
 * counted up front, atomically, as log-in does — so a stolen access token cannot run parallel
 * guesses past the lock, cannot lock its owner out of log-in, and its own lock does not stop the
 * owner's other sessions (only the per-user ceiling does). A success clears the session's count.
 */
export const BEGIN_REAUTH = /* @__PURE__ */ script<ReauthStartArgs>(
  ['user_key', 'sessions_key', 'reauth_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId)],
  `
return reply({ status = 'ok', user = u, sessionCreatedAt = session_created_at })
`,
  [CEILING_LUA, BEGIN_REAUTH_LUA],
);

/**
 * BEGIN_REAUTH for a change that also needs the current second factor (turning TOTP off, new
 * recovery codes): the same counting, and what the code is checked against.
 */
export const BEGIN_REAUTH_WITH_FACTOR = /* @__PURE__ */ script<ReauthStartArgs>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId), k.mfa(a.userId)],
  `
local m = redis.call('HMGET', mfa_key, 'secret', 'lastStep')
return reply({ status = 'ok', user = u, sessionCreatedAt = session_created_at, secret = m[1] or cjson.null,
  lastStep = tonumber(m[2] or '0') })
`,
  [CEILING_LUA, BEGIN_REAUTH_LUA],
);

/** Rename (no password involved): the session check and the new name. */
export const RENAME = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  name: string;
}>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
redis.call('HSET', user_key, 'name', A.name, 'updatedAt', fmt(A.now))
return reply({ status = 'ok', user = public_user(hmap(user_key)) })
`,
);

/**
 * Email change (I1, I2), if the old email and the hash are still those just verified and the new
 * email is free. On an account whose address is proved, the change is pending (`pendingEmail`):
 * the old address stays the credential until the new one is proved (COMPLETE_EMAIL_CHANGE), so a
 * thief with the password cannot move the account away at once. On an unproved account the
 * credential moves now and the new address starts unverified. Asking for the current address
 * again cancels a pending change.
 */
export const CHANGE_EMAIL = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  oldEmail: string;
  newEmail: string;
  name: string | null;
  verifiedHash: string;
}>(
  [
    'user_key',
    'sessions_key',
    'reauth_key',
    'old_email_key',
    'old_failures_key',
    'new_email_key',
    'links_key',
    'events_key',
  ],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.email(a.oldEmail),
    k.loginFailures(a.oldEmail),
    k.email(a.newEmail),
    k.links(a.userId),
    k.events(a.userId),
  ],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.email ~= A.oldEmail or u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
clear_reauth(reauth_key, A.sessionId)
local pending = false
if A.newEmail == A.oldEmail then
  if u.pendingEmail then
    redis.call('HDEL', user_key, 'pendingEmail')
    redis.call('HDEL', links_key, 'verify')
  end
else
  if redis.call('EXISTS', new_email_key) == 1 then return reply({ status = 'email_taken' }) end
  if u.emailVerified == '1' then
    -- The proved address stays the credential; the older pending change's link dies.
    redis.call('HSET', user_key, 'pendingEmail', A.newEmail)
    redis.call('HDEL', links_key, 'verify')
    pending = true
  else
    redis.call('DEL', old_email_key, old_failures_key)
    redis.call('HSET', new_email_key, 'userId', A.userId, 'passwordHash', u.passwordHash)
    redis.call('HSET', user_key, 'email', A.newEmail, 'emailVerified', '0')
    -- The old address's verification link dies with it; a reset link mailed there too.
    redis.call('DEL', links_key)
  end
end
if A.name ~= cjson.null then redis.call('HSET', user_key, 'name', A.name) end
if A.newEmail ~= A.oldEmail then append_event(events_key, { event = 'email_changed' }, A.now) end
redis.call('HSET', user_key, 'updatedAt', fmt(A.now))
return reply({ status = 'ok', pending = pending, user = public_user(hmap(user_key)) })
`,
  [CLEAR_REAUTH_LUA, EVENT_HELPERS],
);

/** Clears the re-authentication back-off after a correct password that changed nothing else. */
export const CLEAR_REAUTH = /* @__PURE__ */ script<{ userId: string; sessionId: string }>(
  ['reauth_key'],
  (k, a) => [k.reauthFailures(a.userId)],
  `
clear_reauth(reauth_key, A.sessionId)
return reply({ status = 'ok' })
`,
  [CLEAR_REAUTH_LUA],
);

/** Password change (I2): swap the hash if it is still the verified one; revoke every other session. */
export const CHANGE_PASSWORD = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  email: string;
  verifiedHash: string;
  newHash: string;
}>(
  [
    'user_key',
    'sessions_key',
    'reauth_key',
    'email_key',
    'failures_key',
    'links_key',
    'sign_in_key',
    'events_key',
  ],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.email(a.email),
    k.loginFailures(a.email),
    k.links(a.userId),
    k.emailSignIn(emailSelector(a.email)),
    k.events(a.userId),
  ],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.email ~= A.email or u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
redis.call('HSET', user_key, 'passwordHash', A.newHash, 'updatedAt', fmt(A.now))
redis.call('HSET', email_key, 'passwordHash', A.newHash)
redis.call('DEL', failures_key, reauth_key)
-- Any password change kills every reset link, and the address's email sign-in.
redis.call('HDEL', links_key, 'reset')
redis.call('DEL', sign_in_key)
append_event(events_key, { event = 'password_changed' }, A.now)
local revoked = revoke_sessions(sessions_key, A.sessionId, A.now)
return reply({ status = 'ok', revoked = revoked })
`,
  EVENT_HELPERS,
);

/**
 * Account deletion (I1, I3, I6, O1): the user, its credential, sessions, counters, second factor
 * and sign-in identities (lib/oauth) go together.
 */
export const DELETE_ACCOUNT = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  email: string;
  verifiedHash: string;
  providers: string[];
  indexAt: number;
}>(
  [
    'user_key',
    'sessions_key',
    'reauth_key',
    'email_key',
    'failures_key',
    'links_key',
    'mfa_key',
    'mfa_logins_key',
    'passkeys_key',
    'webauthn_key',
    'sign_in_key',
    'identities_key',
    'events_key',
    'devices_key',
  ],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.email(a.email),
    k.loginFailures(a.email),
    k.links(a.userId),
    k.mfa(a.userId),
    k.mfaLogins(a.userId),
    k.passkeys(a.userId),
    k.webauthn(a.userId),
    k.emailSignIn(emailSelector(a.email)),
    k.identities(a.userId),
    k.events(a.userId),
    k.devices(a.userId),
    // Last: the identity index keys (lib/oauth/identity-cleanup.ts finds them from the end).
    ...indexKeys(k),
  ],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.email ~= A.email or u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
local revoked = revoke_sessions(sessions_key, nil, A.now)
drop_identities(identities_key, A.userId)
redis.call('DEL', user_key, sessions_key, reauth_key, email_key, failures_key, links_key, mfa_key, mfa_logins_key,
  passkeys_key, webauthn_key, sign_in_key, events_key, devices_key)
return reply({ status = 'ok', revoked = revoked })
`,
  IDENTITY_HELPERS,
);

/**
 * Refresh-token rotation: the presented token is spent and a new one issued, once. A spent token
 * presented again is theft and revokes its session — unless it is the one spent last and comes
 * within the grace window: then it is a client racing itself (two tabs refreshing at once) and
 * only gets a 401. Once its successor has been used in turn, no window forgives it.
 */
export const REFRESH = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  presentedHash: string;
  newHash: string;
  now: number;
  ttlMs: number;
  graceMs: number;
  spentKept: number;
}>(
  ['sessions_key', 'user_key'],
  (k, a) => [k.sessions(a.userId), k.user(a.userId)],
  `
refuse_disabled(user_key)
local s = get_session(sessions_key, A.sessionId, A.now)
if not s then return reply({ status = 'invalid' }) end
if s.refreshHash == A.presentedHash then
  local spent = { { h = s.refreshHash, at = fmt(A.now) } }
  for i = 1, math.min(#s.spent, A.spentKept - 1) do spent[i + 1] = s.spent[i] end
  s.spent = spent
  s.refreshHash = A.newHash
  s.lastUsedAt = fmt(A.now)
  s.expiresAt = fmt(A.now + A.ttlMs)
  put_session(sessions_key, s, A.now)
  return reply({ status = 'ok' })
end
for i, entry in ipairs(s.spent) do
  if entry.h == A.presentedHash then
    if i == 1 and A.now - tonumber(entry.at) < A.graceMs then return reply({ status = 'raced' }) end
    redis.call('HDEL', sessions_key, A.sessionId)
    return reply({ status = 'reused' })
  end
end
return reply({ status = 'invalid' })
`,
);

/** Revoke one of the caller's sessions (log out, or a named one); any other id is 'not_found'. */
export const REVOKE_SESSION = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  targetSessionId: string;
}>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
if not get_session(sessions_key, A.targetSessionId, A.now) then return reply({ status = 'not_found' }) end
redis.call('HDEL', sessions_key, A.targetSessionId)
return reply({ status = 'ok' })
`,
);

/** Revoke every session of the caller, the current one included. */
export const REVOKE_ALL_SESSIONS = /* @__PURE__ */ script<{ userId: string; sessionId: string; now: number }>(
  ['user_key', 'sessions_key', 'events_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.events(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
append_event(events_key, { event = 'sessions_revoked' }, A.now)
return reply({ status = 'ok', revoked = revoke_sessions(sessions_key, nil, A.now) })
`,
  EVENT_HELPERS,
);

/** The caller's live sessions (read-only: dead ones are left out, and pruned by the next write; I4). */
export const LIST_SESSIONS = /* @__PURE__ */ script<{ userId: string; sessionId: string; now: number }>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
local u, current = read_session(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
local sessions = {}
local flat = redis.call('HGETALL', sessions_key)
for i = 1, #flat, 2 do
  local s = cjson.decode(flat[i + 1])
  if tonumber(s.expiresAt) > A.now then
    table.insert(sessions, { id = s.id, createdAt = s.createdAt, lastUsedAt = s.lastUsedAt,
      expiresAt = s.expiresAt, userAgent = s.userAgent })
  end
end
return reply({ status = 'ok', sessions = sessions, lastUsedAt = current.lastUsedAt })
`,
  SESSION_READ,
  true,
);

/** The credential of an email (log-in's lookup, for the mail function): its user id, or none. */
export const FIND_CREDENTIAL = /* @__PURE__ */ script<{ email: string }>(
  ['email_key'],
  (k, a) => [k.email(a.email)],
  `
local user_id = redis.call('HGET', email_key, 'userId')
if not user_id then return reply({ status = 'none' }) end
return reply({ status = 'ok', userId = user_id })
`,
);

/**
 * A new verification link (the older one dies) for the address awaiting proof: a pending email
 * change's new address, else the user's address while it is unverified. The link remembers the
 * address it was mailed to (I5).
 */
export const ISSUE_VERIFICATION = /* @__PURE__ */ script<{
  userId: string;
  tokenHash: string;
  now: number;
  ttlMs: number;
}>(
  ['user_key', 'links_key'],
  (k, a) => [k.user(a.userId), k.links(a.userId)],
  `
local u = redis.call('HMGET', user_key, 'email', 'emailVerified', 'pendingEmail')
if not u[1] then return reply({ status = 'gone' }) end
local address = u[3] or u[1]
if not u[3] and u[2] == '1' then return reply({ status = 'verified' }) end
put_link(links_key, 'verify', { hash = A.tokenHash, email = address, expiresAt = fmt(A.now + A.ttlMs) }, A.now)
return reply({ status = 'ok', email = address })
`,
);

/** A new reset link for the account of `email` (the older one dies), if it still is that account's. */
export const ISSUE_RESET = /* @__PURE__ */ script<{
  email: string;
  userId: string;
  tokenHash: string;
  now: number;
  ttlMs: number;
}>(
  ['email_key', 'links_key'],
  (k, a) => [k.email(a.email), k.links(a.userId)],
  `
if redis.call('HGET', email_key, 'userId') ~= A.userId then return reply({ status = 'gone' }) end
put_link(links_key, 'reset', { hash = A.tokenHash, expiresAt = fmt(A.now + A.ttlMs) }, A.now)
return reply({ status = 'ok' })
`,
);

/**
 * Follows a verification link: once, before it expires, while the address is still the user's.
 * The first verification of an account proves who owns it: whatever was set up before by someone
 * who never proved the address (second factors, passkeys, pending ceremonies) goes (I6).
 */
export const CONSUME_VERIFICATION = /* @__PURE__ */ script<{
  userId: string;
  tokenHash: string;
  now: number;
  providers: string[];
  indexAt: number;
}>(
  ['user_key', 'links_key', 'mfa_key', 'mfa_logins_key', 'passkeys_key', 'webauthn_key', 'identities_key'],
  (k, a) => [
    k.user(a.userId),
    k.links(a.userId),
    k.mfa(a.userId),
    k.mfaLogins(a.userId),
    k.passkeys(a.userId),
    k.webauthn(a.userId),
    k.identities(a.userId),
    // Last: the identity index keys.
    ...indexKeys(k),
  ],
  `
local link = live_link(links_key, 'verify', A.tokenHash, A.now)
if not link then return reply({ status = 'invalid' }) end
local u = hmap(user_key)
-- A pending change's new address: its credential keys are known now; COMPLETE_EMAIL_CHANGE moves it.
if u.id and u.pendingEmail == link.email and u.email ~= link.email then
  return reply({ status = 'pending_change', oldEmail = u.email, newEmail = link.email })
end
redis.call('HDEL', links_key, 'verify')
if not u.id or u.email ~= link.email then return reply({ status = 'invalid' }) end
if u.emailVerified ~= '1' then
  drop_identities(identities_key, A.userId)
  redis.call('DEL', mfa_key, mfa_logins_key, passkeys_key, webauthn_key)
end
redis.call('HSET', user_key, 'emailVerified', '1', 'updatedAt', fmt(A.now))
u.emailVerified = '1'
u.updatedAt = fmt(A.now)
return reply({ status = 'ok', user = public_user(u) })
`,
  IDENTITY_HELPERS,
);

/**
 * A pending email change completes (I1, I2, I5): the verification link of the new address is
 * spent, the credential moves from the old address to the new one (which must still be free), the
 * address counts as proved, and the old address's log-in back-off and reset link go. The revert
 * link mailed to the old address stays live (REVERT_EMAIL_CHANGE).
 */
export const COMPLETE_EMAIL_CHANGE = /* @__PURE__ */ script<{
  userId: string;
  tokenHash: string;
  oldEmail: string;
  newEmail: string;
  now: number;
}>(
  ['user_key', 'links_key', 'old_email_key', 'old_failures_key', 'new_email_key'],
  (k, a) => [
    k.user(a.userId),
    k.links(a.userId),
    k.email(a.oldEmail),
    k.loginFailures(a.oldEmail),
    k.email(a.newEmail),
  ],
  `
local link = live_link(links_key, 'verify', A.tokenHash, A.now)
if not link or link.email ~= A.newEmail then return reply({ status = 'invalid' }) end
local u = hmap(user_key)
if not u.id or u.email ~= A.oldEmail or u.pendingEmail ~= A.newEmail then return reply({ status = 'invalid' }) end
if redis.call('EXISTS', new_email_key) == 1 then return reply({ status = 'email_taken' }) end
redis.call('HDEL', links_key, 'verify', 'reset')
local credential = redis.call('HGET', old_email_key, 'passwordHash')
redis.call('DEL', old_email_key, old_failures_key)
redis.call('HSET', new_email_key, 'userId', A.userId)
if credential then redis.call('HSET', new_email_key, 'passwordHash', credential) end
redis.call('HDEL', user_key, 'pendingEmail')
redis.call('HSET', user_key, 'email', A.newEmail, 'emailVerified', '1', 'updatedAt', fmt(A.now))
return reply({ status = 'ok', user = public_user(hmap(user_key)) })
`,
);

/** The revert link mailed to the old address of an email change (7 days; the older one dies). */
export const ISSUE_REVERT = /* @__PURE__ */ script<{
  userId: string;
  oldEmail: string;
  tokenHash: string;
  now: number;
  ttlMs: number;
}>(
  ['user_key', 'links_key'],
  (k, a) => [k.user(a.userId), k.links(a.userId)],
  `
if redis.call('EXISTS', user_key) == 0 then return reply({ status = 'gone' }) end
put_link(links_key, 'revert', { hash = A.tokenHash, email = A.oldEmail, expiresAt = fmt(A.now + A.ttlMs) }, A.now)
return reply({ status = 'ok' })
`,
);

/** Whether a revert link is live: the address it restores and the account's current one. */
export const PEEK_REVERT = /* @__PURE__ */ script<{ userId: string; tokenHash: string; now: number }>(
  ['user_key', 'links_key'],
  (k, a) => [k.user(a.userId), k.links(a.userId)],
  `
local link = live_link(links_key, 'revert', A.tokenHash, A.now)
if not link then return reply({ status = 'invalid' }) end
local email = redis.call('HGET', user_key, 'email')
if not email then return reply({ status = 'invalid' }) end
return reply({ status = 'ok', oldEmail = link.email, currentEmail = email })
`,
);

/**
 * Reverts an email change from the old address's link (I1–I6): the old address is the credential
 * again (if nobody took it meanwhile) and proved, a pending change is dropped, and whoever made the
 * change is shut out: every session, every link and every passkey go, with pending ceremonies.
 */
export const REVERT_EMAIL_CHANGE = /* @__PURE__ */ script<{
  userId: string;
  tokenHash: string;
  oldEmail: string;
  currentEmail: string;
  now: number;
}>(
  [
    'user_key',
    'links_key',
    'sessions_key',
    'passkeys_key',
    'webauthn_key',
    'mfa_logins_key',
    'old_email_key',
    'current_email_key',
    'current_failures_key',
  ],
  (k, a) => [
    k.user(a.userId),
    k.links(a.userId),
    k.sessions(a.userId),
    k.passkeys(a.userId),
    k.webauthn(a.userId),
    k.mfaLogins(a.userId),
    k.email(a.oldEmail),
    k.email(a.currentEmail),
    k.loginFailures(a.currentEmail),
  ],
  `
local link = live_link(links_key, 'revert', A.tokenHash, A.now)
if not link or link.email ~= A.oldEmail then return reply({ status = 'invalid' }) end
local u = hmap(user_key)
if not u.id or u.email ~= A.currentEmail then return reply({ status = 'invalid' }) end
if A.currentEmail ~= A.oldEmail then
  if redis.call('EXISTS', old_email_key) == 1 then return reply({ status = 'email_taken' }) end
  local credential = redis.call('HGET', current_email_key, 'passwordHash')
  redis.call('DEL', current_email_key, current_failures_key)
  redis.call('HSET', old_email_key, 'userId', A.userId)
  if credential then redis.call('HSET', old_email_key, 'passwordHash', credential) end
end
redis.call('HDEL', user_key, 'pendingEmail')
redis.call('HSET', user_key, 'email', A.oldEmail, 'emailVerified', '1', 'updatedAt', fmt(A.now))
local revoked = revoke_sessions(sessions_key, nil, A.now)
redis.call('DEL', links_key, passkeys_key, webauthn_key, mfa_logins_key)
return reply({ status = 'ok', revoked = revoked, user = public_user(hmap(user_key)) })
`,
);

/** Whether a reset link is live, and whose: the name and email the new password is checked against. */
export const PEEK_RESET = /* @__PURE__ */ script<{ userId: string; tokenHash: string; now: number }>(
  ['user_key', 'links_key'],
  (k, a) => [k.user(a.userId), k.links(a.userId)],
  `
if not live_link(links_key, 'reset', A.tokenHash, A.now) then return reply({ status = 'invalid' }) end
local u = redis.call('HMGET', user_key, 'name', 'email')
if not u[2] then return reply({ status = 'invalid' }) end
return reply({ status = 'ok', name = u[1], email = u[2] })
`,
);

/**
 * Completes a reset (I1–I6), all or nothing: the link is spent, the new hash set (user and
 * credential), the email marked verified (the link proved the mailbox), the back-offs cleared,
 * every session and every link of the user revoked, and — when asked, and the account has no second
 * factor — one new session opened. The reset of an account whose address was never proved is a
 * reclaim: the squatter's second factor, passkeys and pending ceremonies go with it; on any other
 * account the passkeys go when `removePasskeys` asks.
 * Of concurrent completions with one link exactly one succeeds.
 */
export const COMPLETE_RESET = /* @__PURE__ */ script<{
  userId: string;
  email: string;
  tokenHash: string;
  newHash: string;
  removePasskeys: boolean;
  /** The providers whose identity index keys come last in KEYS (lib/oauth/identity-cleanup.ts). */
  providers: string[];
  indexAt: number;
  now: number;
  session: SessionArgs | null;
}>(
  [
    'user_key',
    'links_key',
    'sessions_key',
    'email_key',
    'failures_key',
    'reauth_key',
    'mfa_key',
    'mfa_logins_key',
    'passkeys_key',
    'webauthn_key',
    'email_sign_in_key',
    'events_key',
    'identities_key',
  ],
  (k, a) => [
    k.user(a.userId),
    k.links(a.userId),
    k.sessions(a.userId),
    k.email(a.email),
    k.loginFailures(a.email),
    k.reauthFailures(a.userId),
    k.mfa(a.userId),
    k.mfaLogins(a.userId),
    k.passkeys(a.userId),
    k.webauthn(a.userId),
    k.emailSignIn(emailSelector(a.email)),
    k.events(a.userId),
    k.identities(a.userId),
    // Last: the identity index keys.
    ...indexKeys(k),
  ],
  `
if not live_link(links_key, 'reset', A.tokenHash, A.now) then return reply({ status = 'invalid' }) end
local before = redis.call('HMGET', user_key, 'email', 'emailVerified')
if before[1] ~= A.email then return reply({ status = 'invalid' }) end
local reclaimed = before[2] ~= '1'
-- Every mailed way in dies with the old password: links, and a live sign-in mail.
redis.call('DEL', links_key, failures_key, reauth_key, mfa_logins_key, email_sign_in_key)
if reclaimed then
  -- The squatter's linked sign-ins go too: none of what they set up survives the owner.
  drop_identities(identities_key, A.userId)
  redis.call('DEL', mfa_key, passkeys_key, webauthn_key)
elseif A.removePasskeys then
  redis.call('DEL', passkeys_key, webauthn_key)
end
redis.call('HSET', user_key, 'passwordHash', A.newHash, 'emailVerified', '1', 'updatedAt', fmt(A.now))
-- The mailbox that reset the password is the account's: a change it did not finish is dropped.
redis.call('HDEL', user_key, 'pendingEmail')
redis.call('HSET', email_key, 'passwordHash', A.newHash)
append_event(events_key, { event = 'password_reset' }, A.now)
local revoked = revoke_sessions(sessions_key, nil, A.now)
-- A mailbox is not a second factor: with one on, the reset opens no session.
local second_factor = redis.call('HEXISTS', mfa_key, 'secret') == 1
if A.session ~= cjson.null and not second_factor then create_session(sessions_key, A.session, A.now) end
return reply({ status = 'ok', revoked = revoked, secondFactor = second_factor, reclaimed = reclaimed,
  user = public_user(hmap(user_key)) })
`,
  [EVENT_HELPERS, IDENTITY_HELPERS],
);

/** The session check and the user's second-factor record (mfa:<uid>), in one round trip (read-only). */
export const MFA_STATE = /* @__PURE__ */ script<{ userId: string; sessionId: string; now: number }>(
  ['user_key', 'sessions_key', 'mfa_key', 'passkeys_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.mfa(a.userId), k.passkeys(a.userId)],
  `
local u, s = read_session(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
local m = hmap(mfa_key)
local codes = cjson.decode(m.codes or '[]')
return reply({ status = 'ok', pending = m.pending, secret = m.secret, enabledAt = m.enabledAt,
  codesLeft = #codes, passkeys = redis.call('HLEN', passkeys_key), lastUsedAt = s.lastUsedAt })
`,
  SESSION_READ,
  true,
);

/** The arguments of a change made after a re-entered password (BEGIN_REAUTH): who, and the hash verified. */
interface ReauthArgs {
  userId: string;
  sessionId: string;
  now: number;
  verifiedHash: string;
}

// The checks every second-factor change after a re-entered password starts with: the session, the
// password hash still the one verified, and the re-authentication back-off cleared.
const REAUTHENTICATED = `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
clear_reauth(reauth_key, A.sessionId)
`;

/**
 * TOTP enrollment, step one: a pending secret (encrypted), unless TOTP is already on or the
 * address is unproved (a squatter's factor would survive the owner's reclaim otherwise). The
 * pending secret belongs to this session and lives `pendingTtlMs` (the key with it, while no
 * secret is in use).
 */
export const ENROLL_TOTP = /* @__PURE__ */ script<ReauthArgs & { pending: string; pendingTtlMs: number }>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId), k.mfa(a.userId)],
  `
if u.emailVerified ~= '1' then return reply({ status = 'unverified' }) end
if redis.call('HEXISTS', mfa_key, 'secret') == 1 then return reply({ status = 'already_enabled' }) end
redis.call('HSET', mfa_key, 'pending', A.pending, 'pendingSession', A.sessionId,
  'pendingExpiresAt', fmt(A.now + A.pendingTtlMs))
redis.call('PEXPIRE', mfa_key, A.pendingTtlMs)
return reply({ status = 'ok', email = u.email })
`,
  [CLEAR_REAUTH_LUA, REAUTHENTICATED],
);

/**
 * TOTP enrollment, step two's start: the pending secret of this session (live), once this attempt
 * is counted on the session's re-authentication back-off — a confirmation code cannot be guessed
 * without limit. CONFIRM_TOTP clears the count.
 */
export const BEGIN_TOTP_CONFIRMATION = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  backoff: BackoffArgs;
}>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId), k.mfa(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
local prefix = 's:' .. A.sessionId
local until_ms = locked_until(reauth_key, prefix)
if until_ms > A.now then return reply({ status = 'locked', lockedUntil = until_ms }) end
local m = redis.call('HMGET', mfa_key, 'pending', 'pendingSession', 'pendingExpiresAt')
if not m[1] or m[2] ~= A.sessionId or tonumber(m[3] or '0') <= A.now then
  return reply({ status = 'not_pending' })
end
count_failure(reauth_key, prefix, A.now, A.backoff)
return reply({ status = 'ok', pending = m[1] })
`,
);

/**
 * TOTP enrollment, step two: the pending secret a first code was checked against becomes the
 * secret, that code's step the last one used, and the recovery codes (hashes) are stored.
 */
export const CONFIRM_TOTP = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  pending: string;
  step: number;
  codes: string[];
}>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key', 'events_key'],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.mfa(a.userId),
    k.events(a.userId),
  ],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
local m = redis.call('HMGET', mfa_key, 'pending', 'pendingSession', 'pendingExpiresAt')
if m[1] ~= A.pending or m[2] ~= A.sessionId or tonumber(m[3] or '0') <= A.now then
  return reply({ status = 'not_pending' })
end
if u.emailVerified ~= '1' then return reply({ status = 'unverified' }) end
clear_reauth(reauth_key, A.sessionId)
redis.call('HDEL', mfa_key, 'pending', 'pendingSession', 'pendingExpiresAt')
redis.call('HSET', mfa_key, 'secret', A.pending, 'enabledAt', fmt(A.now), 'lastStep', fmt(A.step),
  'codes', cjson.encode(A.codes))
redis.call('PERSIST', mfa_key)
append_event(events_key, { event = 'totp_enabled' }, A.now)
return reply({ status = 'ok' })
`,
  [CLEAR_REAUTH_LUA, EVENT_HELPERS],
);

/** The current second factor presented with a password: a TOTP code's step, or recovery-code hashes. */
export interface FactorArgs {
  step: number | null;
  recoveryHashes: string[] | null;
}

// A change that needs the password and the current factor: the session, the hash still the one
// verified, then the factor spent (a step later than the last one used, or an unused recovery code)
// — and only then the re-authentication count cleared, so wrong codes stay counted on it.
const REAUTHENTICATED_WITH_FACTOR = `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
local function spend_factor()
  if A.step ~= cjson.null then
    if A.step <= tonumber(redis.call('HGET', mfa_key, 'lastStep') or '0') then return false end
    redis.call('HSET', mfa_key, 'lastStep', fmt(A.step))
    return true
  end
  if A.recoveryHashes == cjson.null then return false end
  local codes = cjson.decode(redis.call('HGET', mfa_key, 'codes') or '[]')
  for i, h in ipairs(codes) do
    for _, presented in ipairs(A.recoveryHashes) do
      if h == presented then
        table.remove(codes, i)
        redis.call('HSET', mfa_key, 'codes', #codes > 0 and cjson.encode(codes) or '[]')
        return true
      end
    end
  end
  return false
end
`;

/**
 * Turns TOTP off: the secret, the recovery codes and every log-in waiting for a factor go. With
 * TOTP on, the current factor is needed as well as the password; a pending enrollment alone goes
 * with the password.
 */
export const DISABLE_TOTP = /* @__PURE__ */ script<ReauthArgs & FactorArgs>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key', 'mfa_logins_key', 'events_key'],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.mfa(a.userId),
    k.mfaLogins(a.userId),
    k.events(a.userId),
  ],
  `
if redis.call('EXISTS', mfa_key) == 0 then return reply({ status = 'not_found' }) end
if redis.call('HEXISTS', mfa_key, 'secret') == 1 and not spend_factor() then return reply({ status = 'factor_invalid' }) end
clear_reauth(reauth_key, A.sessionId)
redis.call('DEL', mfa_key, mfa_logins_key)
append_event(events_key, { event = 'totp_disabled' }, A.now)
return reply({ status = 'ok' })
`,
  [CLEAR_REAUTH_LUA, REAUTHENTICATED_WITH_FACTOR, EVENT_HELPERS],
);

/** A new set of recovery codes (hashes); the old set dies. Only with TOTP on, and its current factor. */
export const NEW_RECOVERY_CODES = /* @__PURE__ */ script<ReauthArgs & FactorArgs & { codes: string[] }>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId), k.mfa(a.userId)],
  `
if redis.call('HEXISTS', mfa_key, 'secret') == 0 then return reply({ status = 'not_found' }) end
if not spend_factor() then return reply({ status = 'factor_invalid' }) end
clear_reauth(reauth_key, A.sessionId)
redis.call('HSET', mfa_key, 'codes', cjson.encode(A.codes))
return reply({ status = 'ok' })
`,
  [CLEAR_REAUTH_LUA, REAUTHENTICATED_WITH_FACTOR],
);

/**
 * The second-factor step of a log-in, part one: the mfaToken's log-in is live, and this attempt
 * is counted on it up front (after `maxAttempts` it is refused), so parallel guesses cannot all
 * be checked. Answers what the code is checked against: the secret (encrypted) and last step.
 */
export const BEGIN_MFA_LOGIN = /* @__PURE__ */ script<{
  userId: string;
  loginId: string;
  hash: string;
  now: number;
  maxAttempts: number;
}>(
  ['mfa_logins_key', 'mfa_key'],
  (k, a) => [k.mfaLogins(a.userId), k.mfa(a.userId)],
  `
local raw = redis.call('HGET', mfa_logins_key, A.loginId)
if not raw then return reply({ status = 'invalid' }) end
local login = cjson.decode(raw)
if tonumber(login.expiresAt) <= A.now then
  redis.call('HDEL', mfa_logins_key, A.loginId)
  return reply({ status = 'invalid' })
end
if login.hash ~= A.hash then return reply({ status = 'invalid' }) end
-- Used up: refused, but left to expire (deleting it could cut off a right code being completed).
if login.attempts >= A.maxAttempts then return reply({ status = 'invalid' }) end
login.attempts = login.attempts + 1
redis.call('HSET', mfa_logins_key, A.loginId, cjson.encode(login))
local m = hmap(mfa_key)
if not m.secret then return reply({ status = 'invalid' }) end
return reply({ status = 'ok', email = login.email, client = login.client, secret = m.secret,
  lastStep = tonumber(m.lastStep or '0') })
`,
);

/**
 * The second-factor step, part two (I3, I6). With the step of a correct code (later than the last
 * one used) or the hash of an unused recovery code: the factor is spent, the log-in consumed, its
 * client's back-off cleared, and the session opened — once, whatever runs in parallel. Without
 * either (a wrong code), or when the step or code is already spent: the failure is counted on the
 * log-in's client back-off and the account's ceiling, as a wrong password is, and a wrong TOTP code
 * on the account's cap of wrong codes (`totpCap` per window, in mfa:<uid>), beyond which TOTP codes
 * are refused unchecked and only a recovery code (or a passkey log-in) gets in. While that client's
 * back-off runs or the ceiling is reached nothing is checked ('locked') and the attempt counted on
 * the mfaToken by BEGIN_MFA_LOGIN is given back. A success takes no failure off the ceiling.
 */
export const COMPLETE_MFA_LOGIN = /* @__PURE__ */ script<{
  userId: string;
  loginId: string;
  hash: string;
  email: string;
  client: string;
  now: number;
  /** A TOTP code was presented (right or wrong); else a recovery code. */
  totp: boolean;
  step: number | null;
  recoveryHashes: string[] | null;
  session: SessionArgs;
  backoff: BackoffArgs;
  ceiling: CeilingArgs;
  totpCap: CeilingArgs;
}>(
  ['mfa_logins_key', 'mfa_key', 'user_key', 'sessions_key', 'failures_key', 'events_key'],
  (k, a) => [
    k.mfaLogins(a.userId),
    k.mfa(a.userId),
    k.user(a.userId),
    k.sessions(a.userId),
    k.loginFailures(a.email),
    k.events(a.userId),
  ],
  `
local raw = redis.call('HGET', mfa_logins_key, A.loginId)
if not raw then return reply({ status = 'invalid' }) end
local login = cjson.decode(raw)
if login.hash ~= A.hash or tonumber(login.expiresAt) <= A.now then return reply({ status = 'invalid' }) end
local function give_back()
  if login.attempts > 0 then login.attempts = login.attempts - 1 end
  redis.call('HSET', mfa_logins_key, A.loginId, cjson.encode(login))
end
refuse_disabled(user_key)
-- The log-in's client is backing off (wrong passwords or codes): nothing is checked or spent.
local until_ms = locked_until(failures_key, 'c:' .. A.client)
if until_ms > A.now then
  give_back()
  return reply({ status = 'locked', lockedUntil = until_ms })
end
local counted = login.ceiling ~= false
if counted and ceiling_count(failures_key, A.now, A.ceiling) >= A.ceiling.limit then
  give_back()
  return reply({ status = 'locked', ceiling = true })
end
local cap = redis.call('HMGET', mfa_key, 'wrongStart', 'wrongCount')
local cap_start, cap_count = tonumber(cap[1] or '0'), tonumber(cap[2] or '0')
if A.now - cap_start >= A.totpCap.windowMs then cap_start, cap_count = A.now, 0 end
if A.totp and cap_count >= A.totpCap.limit then
  give_back()
  return reply({ status = 'failed', reason = 'totp_capped' })
end
local function failed(reason)
  count_failure(failures_key, 'c:' .. A.client, A.now, A.backoff)
  if counted then redis.call('HINCRBY', failures_key, 'windowCount', 1) end
  if A.totp then redis.call('HSET', mfa_key, 'wrongStart', fmt(cap_start), 'wrongCount', cap_count + 1) end
  return reply({ status = 'failed', reason = reason, attempts = login.attempts })
end
local used
if A.step ~= cjson.null then
  if A.step <= tonumber(redis.call('HGET', mfa_key, 'lastStep') or '0') then return failed('replayed') end
  redis.call('HSET', mfa_key, 'lastStep', fmt(A.step))
  used = 'totp'
elseif A.recoveryHashes ~= cjson.null then
  local codes = cjson.decode(redis.call('HGET', mfa_key, 'codes') or '[]')
  local left, found = {}, false
  for _, h in ipairs(codes) do
    local match = false
    for _, presented in ipairs(A.recoveryHashes) do
      if h == presented then match = true end
    end
    if match and not found then found = true else table.insert(left, h) end
  end
  if not found then return failed('wrong_recovery_code') end
  redis.call('HSET', mfa_key, 'codes', #left > 0 and cjson.encode(left) or '[]')
  used = 'recovery_code'
else
  return failed('wrong_code')
end
redis.call('HDEL', mfa_logins_key, A.loginId)
local u = hmap(user_key)
if not u.id then return reply({ status = 'invalid' }) end
-- The client's back-off is cleared; the ceiling keeps every real failure (the password's own
-- attempt was taken back when the log-in began waiting for this step).
redis.call('HDEL', failures_key, 'c:' .. A.client .. 'count', 'c:' .. A.client .. 'lockedUntil')
append_event(events_key, { event = 'logged_in', method = 'password', factor = used, userAgent = A.session.userAgent }, A.now)
create_session(sessions_key, A.session, A.now)
return reply({ status = 'ok', used = used, user = public_user(u) })
`,
  [CEILING_LUA, EVENT_HELPERS],
);

/**
 * Passkey registration, step one: the session check; the caller proved to be the owner — by the
 * password just verified (`verifiedHash`, still the user's), or by a session opened within
 * `maxAgeMs` — and the address proved; then a new challenge (300 s, replacing any older one), and
 * what the options need: the user's email and name and their passkeys' ids (excludeCredentials:
 * one authenticator is not registered twice). A bare access token cannot add a passkey.
 */
export const PASSKEY_REGISTRATION_OPTIONS = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  challenge: string;
  ttlMs: number;
  verifiedHash: string | null;
  maxAgeMs: number;
}>(
  ['user_key', 'sessions_key', 'reauth_key', 'webauthn_key', 'passkeys_key'],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.webauthn(a.userId),
    k.passkeys(a.userId),
  ],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if A.verifiedHash ~= cjson.null then
  if u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
  clear_reauth(reauth_key, A.sessionId)
elseif A.now - tonumber(get_session(sessions_key, A.sessionId, A.now).createdAt) > A.maxAgeMs then
  return reply({ status = 'reauthenticate' })
end
if u.emailVerified ~= '1' then return reply({ status = 'unverified' }) end
redis.call('HSET', webauthn_key, 'registration', cjson.encode({ challenge = A.challenge,
  expiresAt = fmt(A.now + A.ttlMs) }))
redis.call('PEXPIRE', webauthn_key, A.ttlMs)
local existing = {}
for _, raw in ipairs(redis.call('HVALS', passkeys_key)) do
  local p = cjson.decode(raw)
  table.insert(existing, { id = p.id, transports = p.transports })
end
return reply({ status = 'ok', email = u.email, name = u.name, existing = existing })
`,
  [CLEAR_REAUTH_LUA],
);

/** Passkey registration, step two: takes the live challenge (single use: a replay finds none). */
export const TAKE_PASSKEY_REGISTRATION_CHALLENGE = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
}>(
  ['user_key', 'sessions_key', 'webauthn_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.webauthn(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
local raw = redis.call('HGET', webauthn_key, 'registration')
redis.call('HDEL', webauthn_key, 'registration')
if not raw then return reply({ status = 'invalid' }) end
local c = cjson.decode(raw)
if tonumber(c.expiresAt) <= A.now then return reply({ status = 'invalid' }) end
return reply({ status = 'ok', challenge = c.challenge })
`,
);

/** Passkey registration, step three (after verification): stores the passkey unless its id is known. */
export const ADD_PASSKEY = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  passkey: Record<string, unknown> & { id: string };
}>(
  ['user_key', 'sessions_key', 'passkeys_key', 'events_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.passkeys(a.userId), k.events(a.userId)],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.emailVerified ~= '1' then return reply({ status = 'unverified' }) end
if redis.call('HEXISTS', passkeys_key, A.passkey.id) == 1 then return reply({ status = 'duplicate' }) end
redis.call('HSET', passkeys_key, A.passkey.id, cjson.encode(A.passkey))
append_event(events_key, { event = 'passkey_added', name = A.passkey.name }, A.now)
return reply({ status = 'ok' })
`,
  EVENT_HELPERS,
);

/** The caller's passkeys (read-only). */
export const LIST_PASSKEYS = /* @__PURE__ */ script<{ userId: string; sessionId: string; now: number }>(
  ['user_key', 'sessions_key', 'passkeys_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.passkeys(a.userId)],
  `
local u, s = read_session(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
return reply({ status = 'ok', passkeys = redis.call('HVALS', passkeys_key), lastUsedAt = s.lastUsedAt })
`,
  SESSION_READ,
  true,
);

/** Deletes one of the caller's passkeys, after a re-entered password. */
export const DELETE_PASSKEY = /* @__PURE__ */ script<ReauthArgs & { passkeyId: string }>(
  ['user_key', 'sessions_key', 'reauth_key', 'passkeys_key', 'events_key'],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.passkeys(a.userId),
    k.events(a.userId),
  ],
  `
if redis.call('HDEL', passkeys_key, A.passkeyId) == 0 then return reply({ status = 'not_found' }) end
append_event(events_key, { event = 'passkey_deleted' }, A.now)
return reply({ status = 'ok' })
`,
  [CLEAR_REAUTH_LUA, REAUTHENTICATED, EVENT_HELPERS],
);

/** A passkey log-in's challenge, stored for 300 s before anyone is known. */
export const PASSKEY_LOGIN_OPTIONS = /* @__PURE__ */ script<{ challenge: string; ttlMs: number }>(
  ['challenge_key'],
  (k, a) => [k.webauthnLogin(a.challenge)],
  `
redis.call('SET', challenge_key, '1', 'PX', A.ttlMs)
return reply({ status = 'ok' })
`,
);

/**
 * A passkey log-in, step one: the challenge the response signed is taken (single use; gone or
 * expired: 'invalid'), and the credential it names is looked up among its user's passkeys.
 */
export const TAKE_PASSKEY_LOGIN_CHALLENGE = /* @__PURE__ */ script<{
  userId: string;
  credentialId: string;
  challenge: string;
}>(
  ['challenge_key', 'passkeys_key', 'user_key'],
  (k, a) => [k.webauthnLogin(a.challenge), k.passkeys(a.userId), k.user(a.userId)],
  `
if redis.call('DEL', challenge_key) == 0 then return reply({ status = 'invalid' }) end
local raw = redis.call('HGET', passkeys_key, A.credentialId)
if not raw or redis.call('EXISTS', user_key) == 0 then return reply({ status = 'unknown' }) end
return reply({ status = 'ok', passkey = raw })
`,
);

/**
 * A passkey log-in, step two (after verification): the signature counter must go up (when the
 * authenticator keeps one) — a counter that does not is a cloned authenticator: 'counter', nothing
 * written; else the counter and last use are stored and the session opened, atomically.
 */
export const PASSKEY_LOGIN = /* @__PURE__ */ script<{
  userId: string;
  credentialId: string;
  counter: number;
  requireVerified: boolean;
  now: number;
  session: SessionArgs;
}>(
  ['passkeys_key', 'user_key', 'sessions_key', 'events_key'],
  (k, a) => [k.passkeys(a.userId), k.user(a.userId), k.sessions(a.userId), k.events(a.userId)],
  `
local raw = redis.call('HGET', passkeys_key, A.credentialId)
local u = hmap(user_key)
if not raw or not u.id then return reply({ status = 'unknown' }) end
refuse_disabled(user_key)
local p = cjson.decode(raw)
local stored = tonumber(p.counter or 0)
if (A.counter > 0 or stored > 0) and A.counter <= stored then return reply({ status = 'counter' }) end
-- As the password log-in: with REQUIRE_VERIFIED_EMAIL, an unproved address opens nothing.
if A.requireVerified and u.emailVerified ~= '1' then return reply({ status = 'unverified' }) end
p.counter = A.counter
p.lastUsedAt = fmt(A.now)
redis.call('HSET', passkeys_key, A.credentialId, cjson.encode(p))
append_event(events_key, { event = 'logged_in', method = 'passkey', userAgent = A.session.userAgent }, A.now)
create_session(sessions_key, A.session, A.now)
return reply({ status = 'ok', user = public_user(u) })
`,
  EVENT_HELPERS,
);
