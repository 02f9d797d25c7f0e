/**
 * The Lua scripts behind every change that touches more than one key. Redis runs a script
 * atomically, so each one is a transaction with its checks inside: no read-then-write races.
 *
 * Conventions: ARGV[1] is the key prefix, and key names are built exactly as in `keys.ts`.
 * Every script answers one JSON document (`cjson.encode`) with a `status` member.
 *
 * Invariants kept by all of them together:
 *   I1  email:<e> exists  ⇔  user:<id> exists with email = e, and email:<e> = id
 *   I2  session:<sid> exists ⇒ its user exists and sid ∈ user-sessions:<userId>
 *   I3  refresh:<h> = sid (live) ⇒ session:<sid>.refreshHash = h; spent tokens are "!" .. sid .. ":" .. rotatedAt
 *   I4  session:<sid> and refresh:<h> always carry a TTL; nothing outlives its session's expiry
 */

const PRELUDE = `
local P = ARGV[1]
local function hmap(key)
  local flat = redis.call('HGETALL', key)
  local map = {}
  for i = 1, #flat, 2 do map[flat[i]] = flat[i + 1] end
  return map
end
local function reply(t) return cjson.encode(t) end
local function public_user(u)
  return { id = u.id, name = u.name, email = u.email, createdAt = u.createdAt, updatedAt = u.updatedAt }
end
-- Deletes one session and its live refresh token (I2, I3).
local function revoke_session(sid)
  local s = redis.call('HMGET', P .. 'session:' .. sid, 'userId', 'refreshHash')
  if s[2] then redis.call('DEL', P .. 'refresh:' .. s[2]) end
  redis.call('DEL', P .. 'session:' .. sid)
  if s[1] then redis.call('SREM', P .. 'user-sessions:' .. s[1], sid) end
end
local function revoke_sessions_of(user_id, keep_sid)
  local count = 0
  for _, sid in ipairs(redis.call('SMEMBERS', P .. 'user-sessions:' .. user_id)) do
    if sid ~= keep_sid then
      revoke_session(sid)
      count = count + 1
    end
  end
  return count
end
-- Creates a session with its refresh token; both expire together (I2, I3, I4).
local function create_session(user_id, sid, refresh_hash, now, ttl_ms, user_agent)
  local key = P .. 'session:' .. sid
  redis.call('HSET', key, 'id', sid, 'userId', user_id, 'createdAt', now, 'lastUsedAt', now,
    'expiresAt', tostring(tonumber(now) + tonumber(ttl_ms)), 'userAgent', user_agent, 'refreshHash', refresh_hash)
  redis.call('PEXPIRE', key, ttl_ms)
  redis.call('SET', P .. 'refresh:' .. refresh_hash, sid, 'PX', ttl_ms)
  redis.call('SADD', P .. 'user-sessions:' .. user_id, sid)
end
-- The session check every authenticated request makes: the token's session still exists and is
-- the token's user's. Returns the user (with its hash) or nil; touches lastUsedAt.
local function authenticate(user_id, sid, now)
  local owner = redis.call('HGET', P .. 'session:' .. sid, 'userId')
  if owner ~= user_id then return nil end
  local u = hmap(P .. 'user:' .. user_id)
  if not u.id then return nil end
  redis.call('HSET', P .. 'session:' .. sid, 'lastUsedAt', now)
  return u
end
-- Counts one failed (or, for log-in, not yet verified) password attempt for an email; after
-- \`threshold\` of them the account is locked for 2^(n-threshold) s, capped. A success deletes the key.
local function count_failure(email, now, threshold, cap_seconds, memory_seconds)
  local key = P .. 'login-failures:' .. email
  local count = redis.call('HINCRBY', key, 'count', 1)
  if count >= threshold then
    local seconds = math.min(2 ^ (count - threshold), cap_seconds)
    redis.call('HSET', key, 'lockedUntil', string.format('%.0f', now + seconds * 1000))
  end
  redis.call('EXPIRE', key, memory_seconds)
end
local function locked_until(email)
  return tonumber(redis.call('HGET', P .. 'login-failures:' .. email, 'lockedUntil') or '0')
end
`;

const script = (body: string): string => `${PRELUDE}\n${body}`;

/**
 * Register (I1, I2): claim the email, create the user and its first session — all or nothing.
 * ARGV: prefix, userId, name, email, passwordHash, now, sessionId, refreshHash, sessionTtlMs, userAgent
 */
export const REGISTER = /* @__PURE__ */ script(`
local email_key = P .. 'email:' .. ARGV[4]
if redis.call('EXISTS', email_key) == 1 then return reply({ status = 'email_taken' }) end
redis.call('SET', email_key, ARGV[2])
redis.call('HSET', P .. 'user:' .. ARGV[2], 'id', ARGV[2], 'name', ARGV[3], 'email', ARGV[4],
  'passwordHash', ARGV[5], 'createdAt', ARGV[6], 'updatedAt', ARGV[6])
create_session(ARGV[2], ARGV[7], ARGV[8], ARGV[6], ARGV[9], ARGV[10])
return reply({ status = 'ok' })
`);

/**
 * Log-in start: check the account's back-off and count this attempt as a failure up front, in
 * one step, so parallel guesses cannot all slip past the lock while their hashes are checked.
 * A success clears the count (LOGIN). The same happens for unknown emails: no enumeration.
 * After `threshold` counted attempts the account is locked for 2^(n-threshold) s, capped.
 * ARGV: prefix, email, now, threshold, capSeconds, memorySeconds
 */
export const BEGIN_LOGIN = /* @__PURE__ */ script(`
local now = tonumber(ARGV[3])
local until_ms = locked_until(ARGV[2])
if until_ms > now then return reply({ status = 'locked', lockedUntil = until_ms }) end
count_failure(ARGV[2], now, tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6])
local user_id = redis.call('GET', P .. 'email:' .. ARGV[2])
local u = nil
if user_id then u = hmap(P .. 'user:' .. user_id) end
if u and not u.id then u = nil end
return reply({ status = 'ok', user = u })
`);

/**
 * Log-in commit (I2): open a session only if the password hash is still the one just verified
 * (a concurrent password change or deletion wins), re-hash if asked, and clear the back-off.
 * ARGV: prefix, userId, verifiedHash, newHash or '', email, now, sessionId, refreshHash, sessionTtlMs, userAgent
 */
export const LOGIN = /* @__PURE__ */ script(`
local user_key = P .. 'user:' .. ARGV[2]
if redis.call('HGET', user_key, 'passwordHash') ~= ARGV[3] then return reply({ status = 'stale' }) end
if ARGV[4] ~= '' then redis.call('HSET', user_key, 'passwordHash', ARGV[4]) end
redis.call('DEL', P .. 'login-failures:' .. ARGV[5])
create_session(ARGV[2], ARGV[7], ARGV[8], ARGV[6], ARGV[9], ARGV[10])
return reply({ status = 'ok', user = public_user(hmap(user_key)) })
`);

/**
 * Profile read: the session check and the user in one round trip.
 * ARGV: prefix, userId, sessionId, now
 */
export const AUTHENTICATE = /* @__PURE__ */ script(`
local u = authenticate(ARGV[2], ARGV[3], ARGV[4])
if not u then return reply({ status = 'unauthorized' }) end
return reply({ status = 'ok', user = u, lockedUntil = locked_until(u.email) })
`);

/**
 * A wrong current password (profile email change, password change, deletion) counts towards the
 * account's log-in back-off, so a stolen access token cannot be used to guess the password.
 * ARGV: prefix, email, now, threshold, capSeconds, memorySeconds
 */
export const RECORD_PASSWORD_FAILURE = /* @__PURE__ */ script(`
count_failure(ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6])
return reply({ status = 'ok', lockedUntil = locked_until(ARGV[2]) })
`);

/**
 * Profile update (I1): rename and/or move the email index, atomically with the session check.
 * An email change also requires the hash to be the one just verified. The new email must be free.
 * ARGV: prefix, userId, sessionId, now, name or '', email or '', verifiedHash or ''
 */
export const UPDATE_PROFILE = /* @__PURE__ */ script(`
local u = authenticate(ARGV[2], ARGV[3], ARGV[4])
if not u then return reply({ status = 'unauthorized' }) end
local user_key = P .. 'user:' .. ARGV[2]
if ARGV[6] ~= '' and ARGV[6] ~= u.email then
  if u.passwordHash ~= ARGV[7] then return reply({ status = 'stale' }) end
  local new_key = P .. 'email:' .. ARGV[6]
  if redis.call('EXISTS', new_key) == 1 then return reply({ status = 'email_taken' }) end
  redis.call('DEL', P .. 'email:' .. u.email, P .. 'login-failures:' .. u.email)
  redis.call('SET', new_key, ARGV[2])
  redis.call('HSET', user_key, 'email', ARGV[6])
end
if ARGV[5] ~= '' then redis.call('HSET', user_key, 'name', ARGV[5]) end
redis.call('HSET', user_key, 'updatedAt', ARGV[4])
return reply({ status = 'ok', user = public_user(hmap(user_key)) })
`);

/**
 * Password change (I2): swap the hash if it is still the verified one, and revoke every other session.
 * ARGV: prefix, userId, sessionId, now, verifiedHash, newHash
 */
export const CHANGE_PASSWORD = /* @__PURE__ */ script(`
local u = authenticate(ARGV[2], ARGV[3], ARGV[4])
if not u then return reply({ status = 'unauthorized' }) end
if u.passwordHash ~= ARGV[5] then return reply({ status = 'stale' }) end
redis.call('HSET', P .. 'user:' .. ARGV[2], 'passwordHash', ARGV[6], 'updatedAt', ARGV[4])
redis.call('DEL', P .. 'login-failures:' .. u.email)
local revoked = revoke_sessions_of(ARGV[2], ARGV[3])
return reply({ status = 'ok', revoked = revoked })
`);

/**
 * Account deletion (I1, I2): the user, its email index and every session go together.
 * ARGV: prefix, userId, sessionId, now, verifiedHash
 */
export const DELETE_ACCOUNT = /* @__PURE__ */ script(`
local u = authenticate(ARGV[2], ARGV[3], ARGV[4])
if not u then return reply({ status = 'unauthorized' }) end
if u.passwordHash ~= ARGV[5] then return reply({ status = 'stale' }) end
local revoked = revoke_sessions_of(ARGV[2], '')
redis.call('DEL', P .. 'user-sessions:' .. ARGV[2], P .. 'email:' .. u.email, P .. 'user:' .. ARGV[2],
  P .. 'login-failures:' .. u.email)
return reply({ status = 'ok', revoked = revoked })
`);

/**
 * Refresh-token rotation (I3): the presented token is spent and a new one issued, once. A spent
 * token presented again is theft and revokes the whole session — unless it comes within the
 * grace window after its rotation: then it is a client racing itself (two tabs refreshing at
 * once) and only gets a 401, so a race never signs the user out.
 * Spent tokens are stored as "!" .. sessionId .. ":" .. rotatedAt.
 * ARGV: prefix, presentedHash, newHash, now, sessionTtlMs, graceMs
 */
export const REFRESH = /* @__PURE__ */ script(`
local token_key = P .. 'refresh:' .. ARGV[2]
local value = redis.call('GET', token_key)
if not value then return reply({ status = 'invalid' }) end
local now = tonumber(ARGV[4])
if string.sub(value, 1, 1) == '!' then
  local sid, rotated_at = string.match(value, '^!([^:]+):(%d+)$')
  if not sid then return reply({ status = 'invalid' }) end
  local owner = redis.call('HGET', P .. 'session:' .. sid, 'userId')
  if now - tonumber(rotated_at) < tonumber(ARGV[6]) then
    return reply({ status = 'raced', sessionId = sid, userId = owner })
  end
  if owner then revoke_session(sid) end
  return reply({ status = 'reused', sessionId = sid, userId = owner })
end
local s = hmap(P .. 'session:' .. value)
if not s.id or s.refreshHash ~= ARGV[2] then return reply({ status = 'invalid' }) end
local ttl_ms = tonumber(ARGV[5])
redis.call('SET', token_key, '!' .. value .. ':' .. ARGV[4], 'PX', ttl_ms)
redis.call('SET', P .. 'refresh:' .. ARGV[3], value, 'PX', ttl_ms)
local expires_at = tostring(now + ttl_ms)
redis.call('HSET', P .. 'session:' .. value, 'refreshHash', ARGV[3], 'lastUsedAt', ARGV[4], 'expiresAt', expires_at)
redis.call('PEXPIRE', P .. 'session:' .. value, ttl_ms)
return reply({ status = 'ok', sessionId = value, userId = s.userId })
`);

/**
 * Revoke one of the caller's sessions (log out, or a named session). Another user's id is 'not_found'.
 * ARGV: prefix, userId, callerSessionId, now, targetSessionId
 */
export const REVOKE_SESSION = /* @__PURE__ */ script(`
if not authenticate(ARGV[2], ARGV[3], ARGV[4]) then return reply({ status = 'unauthorized' }) end
if redis.call('HGET', P .. 'session:' .. ARGV[5], 'userId') ~= ARGV[2] then return reply({ status = 'not_found' }) end
revoke_session(ARGV[5])
return reply({ status = 'ok' })
`);

/**
 * Revoke every session of the caller, the current one included.
 * ARGV: prefix, userId, callerSessionId, now
 */
export const REVOKE_ALL_SESSIONS = /* @__PURE__ */ script(`
if not authenticate(ARGV[2], ARGV[3], ARGV[4]) then return reply({ status = 'unauthorized' }) end
local revoked = revoke_sessions_of(ARGV[2], '')
return reply({ status = 'ok', revoked = revoked })
`);

/**
 * The caller's sessions; ids of sessions that expired on their own are pruned from the set (I2).
 * ARGV: prefix, userId, callerSessionId, now
 */
export const LIST_SESSIONS = /* @__PURE__ */ script(`
if not authenticate(ARGV[2], ARGV[3], ARGV[4]) then return reply({ status = 'unauthorized' }) end
local set_key = P .. 'user-sessions:' .. ARGV[2]
local sessions = {}
for _, sid in ipairs(redis.call('SMEMBERS', set_key)) do
  local s = hmap(P .. 'session:' .. sid)
  if s.id then
    table.insert(sessions, { id = s.id, createdAt = s.createdAt, lastUsedAt = s.lastUsedAt,
      expiresAt = s.expiresAt, userAgent = s.userAgent })
  else
    redis.call('SREM', set_key, sid)
  end
end
return reply({ status = 'ok', sessions = sessions })
`);
