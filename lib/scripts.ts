import type { Keys } from './keys';

/**
 * The Lua scripts behind every change that touches more than one key. Redis runs a script
 * atomically, so each one is a transaction with its checks inside: no read-then-write races.
 *
 * Conventions, for Upstash at scale (README, "Data model"):
 * - Every script starts with `#!lua flags=allow-key-locking` and is called with every key it
 *   touches in KEYS, so Upstash locks only those keys (not the whole database), and the local
 *   datastore refuses any other key, as Upstash does. Key names come from `keys.ts` only: a
 *   script never builds one.
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
    createdAt = u.createdAt, updatedAt = u.updatedAt }
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

// Helpers only the log-in scripts use (kept out of PRELUDE: every script carries PRELUDE, and
// every function bundles the scripts it runs).
const LOGIN_HELPERS = `
-- Takes back a log-in attempt counted up front (BEGIN_LOGIN) once it succeeded: the client's
-- back-off cleared, the account-wide ceiling's count down by one.
local function clear_login_failure(failures_key, client)
  redis.call('HDEL', failures_key, 'c:' .. client .. 'count', 'c:' .. client .. 'lockedUntil')
  if tonumber(redis.call('HGET', failures_key, 'windowCount') or '0') > 0 then
    redis.call('HINCRBY', failures_key, 'windowCount', -1)
  end
end
-- A right password whose log-in now waits for a second factor: its up-front count is taken back
-- (from the client and the ceiling), and the lock that count may have set with it, so the client's
-- earlier failures still count but the second step is not blocked by its own password.
local function take_back_attempt(failures_key, client)
  local count_field = 'c:' .. client .. 'count'
  if tonumber(redis.call('HGET', failures_key, count_field) or '0') > 0 then
    redis.call('HINCRBY', failures_key, count_field, -1)
  end
  redis.call('HDEL', failures_key, 'c:' .. client .. 'lockedUntil')
  if tonumber(redis.call('HGET', failures_key, 'windowCount') or '0') > 0 then
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
}

/**
 * Defines a script. `keyNames` binds KEYS positions to Lua locals on the first line after the
 * flag; `keysOf` returns the keys in the same order; every other argument travels by name in A.
 */
export function script<Args>(
  keyNames: string[],
  keysOf: (keys: Keys, args: Args) => string[],
  body: string,
  // Lua shared by a few scripts, put before the body here: interpolated into the body's template
  // literal it would keep every such script in every bundle (esbuild cannot prove it pure).
  ...helpers: string[]
): Script<Args> {
  const bind = keyNames.length
    ? `local ${keyNames.join(', ')} = ${keyNames.map((_, i) => `KEYS[${i + 1}]`).join(', ')}`
    : '';
  return {
    lua: `#!lua flags=allow-key-locking\n${bind}\n${PRELUDE}\n${helpers.join('\n')}\n${body}`,
    // A script that appends to events:<uid> learns the retention from the key map.
    encode: keyNames.includes('events_key')
      ? (keys, args) => ({
          keys: keysOf(keys, args),
          argv: [JSON.stringify({ ...args, eventsRetentionMs: keys.eventsRetentionMs })],
        })
      : (keys, args) => ({ keys: keysOf(keys, args), argv: [JSON.stringify(args)] }),
  };
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
}>(
  ['failures_key', 'email_key'],
  (k, a) => [k.loginFailures(a.email), k.email(a.email)],
  `
local prefix = 'c:' .. A.client
local until_ms = locked_until(failures_key, prefix)
if until_ms > A.now then return reply({ status = 'locked', lockedUntil = until_ms }) end
local window = redis.call('HMGET', failures_key, 'windowStart', 'windowCount')
local start, count = tonumber(window[1] or '0'), tonumber(window[2] or '0')
if A.now - start >= A.ceiling.windowMs then
  start, count = A.now, 0
  redis.call('HSET', failures_key, 'windowStart', fmt(start), 'windowCount', '0')
end
if count >= A.ceiling.limit then
  return reply({ status = 'locked', lockedUntil = start + A.ceiling.windowMs, ceiling = true })
end
redis.call('HINCRBY', failures_key, 'windowCount', 1)
count_failure(failures_key, prefix, A.now, A.backoff)
local credential = redis.call('HMGET', email_key, 'userId', 'passwordHash')
if not credential[1] then return reply({ status = 'ok' }) end
return reply({ status = 'ok', userId = credential[1], passwordHash = credential[2] })
`,
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
  clear_login_failure(failures_key, A.client)
  return reply({ status = 'unverified' })
end
local methods = mfa_methods(mfa_key, passkeys_key)
if #methods > 0 then
  local m = A.mfaLogin
  redis.call('HSET', mfa_logins_key, m.id, cjson.encode({ hash = m.hash, expiresAt = fmt(A.now + m.ttlMs),
    attempts = 0, client = A.client, email = A.email, userAgent = m.userAgent }))
  if redis.call('PTTL', mfa_logins_key) < m.ttlMs then redis.call('PEXPIRE', mfa_logins_key, m.ttlMs) end
  take_back_attempt(failures_key, A.client)
  return reply({ status = 'mfa_required', methods = methods })
end
append_event(events_key, { event = 'logged_in', method = 'password', userAgent = A.session.userAgent }, A.now)
clear_login_failure(failures_key, A.client)
create_session(sessions_key, A.session, A.now)
return reply({ status = 'ok', user = public_user(u) })
`,
  LOGIN_HELPERS,
  EVENT_HELPERS,
);

/** The session check and the user in one round trip (profile reads, the body-error check). */
export const AUTHENTICATE = /* @__PURE__ */ script<{ userId: string; sessionId: string; now: number }>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
return reply({ status = 'ok', user = u })
`,
);

/**
 * A re-entered password (email change, password change, deletion): the session check, then the
 * user's own re-authentication back-off checked and this attempt counted up front, atomically,
 * as log-in does — so a stolen access token cannot run parallel guesses past the lock, and
 * cannot lock its owner out of log-in either. A success clears the count (the change scripts).
 */
export const BEGIN_REAUTH = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  backoff: BackoffArgs;
}>(
  ['user_key', 'sessions_key', 'reauth_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId)],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
local until_ms = locked_until(reauth_key, '')
if until_ms > A.now then return reply({ status = 'locked', lockedUntil = until_ms }) end
count_failure(reauth_key, '', A.now, A.backoff)
return reply({ status = 'ok', user = u })
`,
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
 * Email change (I1, I2): move the credential to the new email if the old one and the hash are
 * still those just verified, and the new email is free. The new address starts unverified.
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
redis.call('DEL', reauth_key)
if A.newEmail ~= A.oldEmail then
  if redis.call('EXISTS', new_email_key) == 1 then return reply({ status = 'email_taken' }) end
  redis.call('DEL', old_email_key, old_failures_key)
  redis.call('HSET', new_email_key, 'userId', A.userId, 'passwordHash', u.passwordHash)
  redis.call('HSET', user_key, 'email', A.newEmail, 'emailVerified', '0')
  -- The old address's verification link dies with it; a reset link mailed there too.
  redis.call('DEL', links_key)
end
if A.name ~= cjson.null then redis.call('HSET', user_key, 'name', A.name) end
if A.newEmail ~= A.oldEmail then append_event(events_key, { event = 'email_changed' }, A.now) end
redis.call('HSET', user_key, 'updatedAt', fmt(A.now))
return reply({ status = 'ok', user = public_user(hmap(user_key)) })
`,
  EVENT_HELPERS,
);

/** Clears the re-authentication back-off after a correct password that changed nothing else. */
export const CLEAR_REAUTH = /* @__PURE__ */ script<{ userId: string }>(
  ['reauth_key'],
  (k, a) => [k.reauthFailures(a.userId)],
  `
redis.call('DEL', reauth_key)
return reply({ status = 'ok' })
`,
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
  ['user_key', 'sessions_key', 'reauth_key', 'email_key', 'failures_key', 'links_key', 'events_key'],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.email(a.email),
    k.loginFailures(a.email),
    k.links(a.userId),
    k.events(a.userId),
  ],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.email ~= A.email or u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
redis.call('HSET', user_key, 'passwordHash', A.newHash, 'updatedAt', fmt(A.now))
redis.call('HSET', email_key, 'passwordHash', A.newHash)
redis.call('DEL', failures_key, reauth_key)
-- Any password change kills every reset link.
redis.call('HDEL', links_key, 'reset')
append_event(events_key, { event = 'password_changed' }, A.now)
local revoked = revoke_sessions(sessions_key, A.sessionId, A.now)
return reply({ status = 'ok', revoked = revoked })
`,
  EVENT_HELPERS,
);

/** Account deletion (I1, I3, I6): the user, its credential, sessions, counters and second factor go together. */
export const DELETE_ACCOUNT = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  email: string;
  verifiedHash: string;
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
    k.events(a.userId),
    k.devices(a.userId),
  ],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.email ~= A.email or u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
local revoked = revoke_sessions(sessions_key, nil, A.now)
redis.call('DEL', user_key, sessions_key, reauth_key, email_key, failures_key, links_key, mfa_key, mfa_logins_key,
  passkeys_key, webauthn_key, events_key, devices_key)
return reply({ status = 'ok', revoked = revoked })
`,
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

/** The caller's live sessions; dead ones are pruned on the way (I4). */
export const LIST_SESSIONS = /* @__PURE__ */ script<{ userId: string; sessionId: string; now: number }>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
local sessions = {}
local flat = redis.call('HGETALL', sessions_key)
for i = 1, #flat, 2 do
  local s = cjson.decode(flat[i + 1])
  if tonumber(s.expiresAt) > A.now then
    table.insert(sessions, { id = s.id, createdAt = s.createdAt, lastUsedAt = s.lastUsedAt,
      expiresAt = s.expiresAt, userAgent = s.userAgent })
  else
    redis.call('HDEL', sessions_key, flat[i])
  end
end
return reply({ status = 'ok', sessions = sessions })
`,
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
 * A new verification link for the user's current address (the older one dies): only while the
 * address is unverified. The link remembers the address it was mailed to (I5).
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
local u = redis.call('HMGET', user_key, 'email', 'emailVerified')
if not u[1] then return reply({ status = 'gone' }) end
if u[2] == '1' then return reply({ status = 'verified' }) end
put_link(links_key, 'verify', { hash = A.tokenHash, email = u[1], expiresAt = fmt(A.now + A.ttlMs) }, A.now)
return reply({ status = 'ok', email = u[1] })
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

/** Follows a verification link: once, before it expires, while the address is still the user's. */
export const CONSUME_VERIFICATION = /* @__PURE__ */ script<{
  userId: string;
  tokenHash: string;
  now: number;
}>(
  ['user_key', 'links_key'],
  (k, a) => [k.user(a.userId), k.links(a.userId)],
  `
local link = live_link(links_key, 'verify', A.tokenHash, A.now)
if not link then return reply({ status = 'invalid' }) end
redis.call('HDEL', links_key, 'verify')
local u = hmap(user_key)
if not u.id or u.email ~= link.email then return reply({ status = 'invalid' }) end
redis.call('HSET', user_key, 'emailVerified', '1', 'updatedAt', fmt(A.now))
u.emailVerified = '1'
u.updatedAt = fmt(A.now)
return reply({ status = 'ok', user = public_user(u) })
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
 * Completes a reset (I1–I5), all or nothing: the link is spent, the new hash set (user and
 * credential), the email marked verified (the link proved the mailbox), the back-offs cleared,
 * every session and every link of the user revoked, and — when asked, and the account has no second
 * factor — one new session opened.
 * Of concurrent completions with one link exactly one succeeds.
 */
export const COMPLETE_RESET = /* @__PURE__ */ script<{
  userId: string;
  email: string;
  tokenHash: string;
  newHash: string;
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
    'events_key',
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
    k.events(a.userId),
  ],
  `
if not live_link(links_key, 'reset', A.tokenHash, A.now) then return reply({ status = 'invalid' }) end
if redis.call('HGET', user_key, 'email') ~= A.email then return reply({ status = 'invalid' }) end
redis.call('DEL', links_key, failures_key, reauth_key, mfa_logins_key)
redis.call('HSET', user_key, 'passwordHash', A.newHash, 'emailVerified', '1', 'updatedAt', fmt(A.now))
redis.call('HSET', email_key, 'passwordHash', A.newHash)
append_event(events_key, { event = 'password_reset' }, A.now)
local revoked = revoke_sessions(sessions_key, nil, A.now)
-- A mailbox is not a second factor: with one on, the reset opens no session.
local second_factor = redis.call('HEXISTS', mfa_key, 'secret') == 1
if A.session ~= cjson.null and not second_factor then create_session(sessions_key, A.session, A.now) end
return reply({ status = 'ok', revoked = revoked, secondFactor = second_factor, user = public_user(hmap(user_key)) })
`,
  EVENT_HELPERS,
);

/** The session check and the user's second-factor record (mfa:<uid>), in one round trip. */
export const MFA_STATE = /* @__PURE__ */ script<{ userId: string; sessionId: string; now: number }>(
  ['user_key', 'sessions_key', 'mfa_key', 'passkeys_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.mfa(a.userId), k.passkeys(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
local m = hmap(mfa_key)
local codes = cjson.decode(m.codes or '[]')
return reply({ status = 'ok', pending = m.pending, secret = m.secret, enabledAt = m.enabledAt,
  codesLeft = #codes, passkeys = redis.call('HLEN', passkeys_key) })
`,
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
redis.call('DEL', reauth_key)
`;

/** TOTP enrollment, step one: a pending secret (encrypted), unless TOTP is already on. */
export const ENROLL_TOTP = /* @__PURE__ */ script<ReauthArgs & { pending: string }>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId), k.mfa(a.userId)],
  `
if redis.call('HEXISTS', mfa_key, 'secret') == 1 then return reply({ status = 'already_enabled' }) end
redis.call('HSET', mfa_key, 'pending', A.pending)
return reply({ status = 'ok', email = u.email })
`,
  REAUTHENTICATED,
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
  ['user_key', 'sessions_key', 'mfa_key', 'events_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.mfa(a.userId), k.events(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
if redis.call('HGET', mfa_key, 'pending') ~= A.pending then return reply({ status = 'not_pending' }) end
redis.call('HDEL', mfa_key, 'pending')
redis.call('HSET', mfa_key, 'secret', A.pending, 'enabledAt', fmt(A.now), 'lastStep', fmt(A.step),
  'codes', cjson.encode(A.codes))
append_event(events_key, { event = 'totp_enabled' }, A.now)
return reply({ status = 'ok' })
`,
  EVENT_HELPERS,
);

/** Turns TOTP off: the secret, the recovery codes and every log-in waiting for a factor go. */
export const DISABLE_TOTP = /* @__PURE__ */ script<ReauthArgs>(
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
redis.call('DEL', mfa_key, mfa_logins_key)
append_event(events_key, { event = 'totp_disabled' }, A.now)
return reply({ status = 'ok' })
`,
  REAUTHENTICATED,
  EVENT_HELPERS,
);

/** A new set of recovery codes (hashes); the old set dies. Only with TOTP on. */
export const NEW_RECOVERY_CODES = /* @__PURE__ */ script<ReauthArgs & { codes: string[] }>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId), k.mfa(a.userId)],
  `
if redis.call('HEXISTS', mfa_key, 'secret') == 0 then return reply({ status = 'not_found' }) end
redis.call('HSET', mfa_key, 'codes', cjson.encode(A.codes))
return reply({ status = 'ok' })
`,
  REAUTHENTICATED,
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
 * back-off attempt taken back, and the session opened — once, whatever runs in parallel. Without
 * either (a wrong code), or when the step or code is already spent: the failure is counted on the
 * log-in's client back-off and the account's ceiling, as a wrong password is. While that client's
 * back-off runs, nothing is checked: 'locked'.
 */
export const COMPLETE_MFA_LOGIN = /* @__PURE__ */ script<{
  userId: string;
  loginId: string;
  hash: string;
  email: string;
  client: string;
  now: number;
  step: number | null;
  recoveryHash: string | null;
  session: SessionArgs;
  backoff: BackoffArgs;
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
refuse_disabled(user_key)
-- The log-in's client is backing off (wrong passwords or codes): nothing is checked or spent.
local until_ms = locked_until(failures_key, 'c:' .. A.client)
if until_ms > A.now then return reply({ status = 'locked', lockedUntil = until_ms }) end
local function failed(reason)
  count_failure(failures_key, 'c:' .. A.client, A.now, A.backoff)
  redis.call('HINCRBY', failures_key, 'windowCount', 1)
  return reply({ status = 'failed', reason = reason, attempts = login.attempts })
end
local used
if A.step ~= cjson.null then
  if A.step <= tonumber(redis.call('HGET', mfa_key, 'lastStep') or '0') then return failed('replayed') end
  redis.call('HSET', mfa_key, 'lastStep', fmt(A.step))
  used = 'totp'
elseif A.recoveryHash ~= cjson.null then
  local codes = cjson.decode(redis.call('HGET', mfa_key, 'codes') or '[]')
  local left, found = {}, false
  for _, h in ipairs(codes) do
    if h == A.recoveryHash and not found then found = true else table.insert(left, h) end
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
clear_login_failure(failures_key, A.client)
append_event(events_key, { event = 'logged_in', method = 'password', factor = used, userAgent = A.session.userAgent }, A.now)
create_session(sessions_key, A.session, A.now)
return reply({ status = 'ok', used = used, user = public_user(u) })
`,
  LOGIN_HELPERS,
  EVENT_HELPERS,
);

/**
 * Passkey registration, step one: the session check, a new challenge (300 s, replacing any
 * older one), and what the options need: the user's email and name and their passkeys' ids
 * (excludeCredentials: one authenticator is not registered twice).
 */
export const PASSKEY_REGISTRATION_OPTIONS = /* @__PURE__ */ script<{
  userId: string;
  sessionId: string;
  now: number;
  challenge: string;
  ttlMs: number;
}>(
  ['user_key', 'sessions_key', 'webauthn_key', 'passkeys_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.webauthn(a.userId), k.passkeys(a.userId)],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
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
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
if redis.call('HEXISTS', passkeys_key, A.passkey.id) == 1 then return reply({ status = 'duplicate' }) end
redis.call('HSET', passkeys_key, A.passkey.id, cjson.encode(A.passkey))
append_event(events_key, { event = 'passkey_added', name = A.passkey.name }, A.now)
return reply({ status = 'ok' })
`,
  EVENT_HELPERS,
);

/** The caller's passkeys. */
export const LIST_PASSKEYS = /* @__PURE__ */ script<{ userId: string; sessionId: string; now: number }>(
  ['user_key', 'sessions_key', 'passkeys_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.passkeys(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
return reply({ status = 'ok', passkeys = redis.call('HVALS', passkeys_key) })
`,
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
  REAUTHENTICATED,
  EVENT_HELPERS,
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
p.counter = A.counter
p.lastUsedAt = fmt(A.now)
redis.call('HSET', passkeys_key, A.credentialId, cjson.encode(p))
append_event(events_key, { event = 'logged_in', method = 'passkey', userAgent = A.session.userAgent }, A.now)
create_session(sessions_key, A.session, A.now)
return reply({ status = 'ok', user = public_user(u) })
`,
  EVENT_HELPERS,
);
