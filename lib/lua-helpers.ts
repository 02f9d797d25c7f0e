// The Lua helpers the scripts share (lib/lua.ts `script()` puts in the ones a script lists). Each
// is one `local function`; its comment says what it keeps. Kept apart from lib/lua.ts so that the
// helpers, like the scripts, are each their own declaration, bundled only where a script uses them.

/**
 * A Lua helper shared by scripts: one `local function`, and the helpers it calls. A script lists
 * the helpers its own Lua calls (`script(…, helpers)`); each is put in once, after the ones it
 * uses, so a script carries — and a bundle holds — only the helpers that script runs.
 * tests/unit/data-model.test.ts checks every script defines each helper it calls, and no other.
 */
export interface LuaHelper {
  readonly lua: string;
  readonly uses?: readonly LuaHelper[];
}

export const HMAP_LUA: LuaHelper = {
  lua: `
local function hmap(key)
  local flat = redis.call('HGETALL', key)
  local map = {}
  for i = 1, #flat, 2 do map[flat[i]] = flat[i + 1] end
  return map
end`,
};
export const FMT_LUA: LuaHelper = {
  lua: `
local function fmt(n) return string.format('%.0f', n) end`,
};
export const PUBLIC_USER_LUA: LuaHelper = {
  lua: `
local function public_user(u)
  return { id = u.id, name = u.name, email = u.email, emailVerified = u.emailVerified,
    pendingEmail = u.pendingEmail or cjson.null, createdAt = u.createdAt, updatedAt = u.updatedAt }
end`,
};
// Sessions of a user: one hash, a JSON record per session id (I3, I4).
export const GET_SESSION_LUA: LuaHelper = {
  lua: `
local function get_session(sessions_key, sid, now)
  local raw = redis.call('HGET', sessions_key, sid)
  if not raw then return nil end
  local s = cjson.decode(raw)
  if tonumber(s.expiresAt) <= now then
    redis.call('HDEL', sessions_key, sid)
    return nil
  end
  return s
end`,
};
export const PUT_SESSION_LUA: LuaHelper = {
  uses: [FMT_LUA],
  lua: `
local function put_session(sessions_key, s, now)
  redis.call('HSET', sessions_key, s.id, cjson.encode(s))
  local wanted = tonumber(s.expiresAt) - now
  if redis.call('PTTL', sessions_key) < wanted then redis.call('PEXPIRE', sessions_key, fmt(wanted)) end
end`,
};
export const CREATE_SESSION_LUA: LuaHelper = {
  uses: [FMT_LUA, PUT_SESSION_LUA],
  lua: `
local function create_session(sessions_key, session, now)
  put_session(sessions_key, { id = session.id, createdAt = fmt(now), lastUsedAt = fmt(now),
    expiresAt = fmt(now + session.ttlMs), userAgent = session.userAgent, refreshHash = session.refreshHash,
    spent = {} }, now)
end`,
};
// Revokes every session but keep_sid (nil: all); returns how many live ones went.
export const REVOKE_SESSIONS_LUA: LuaHelper = {
  lua: `
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
end`,
};
// A disabled account (user:<uid>.disabledAt, set by the admin command `disable`) is refused
// wherever a session starts or continues: this aborts the script with the error reply
// ACCOUNT_DISABLED, which lib/datastore.ts answers as 403 account_disabled. Call it before the
// script's first write (Redis keeps a script's writes made before an error).
export const REFUSE_DISABLED_LUA: LuaHelper = {
  lua: `
local function refuse_disabled(user_key)
  if redis.call('HEXISTS', user_key, 'disabledAt') == 1 then error('ACCOUNT_DISABLED') end
end`,
};
// The session check of every authenticated request: the token's session is alive and its user
// exists. Returns the user (with its hash) or nil; touches the session's lastUsedAt. A disabled
// account is refused first (its sessions are gone too, but the answer says why).
export const AUTHENTICATE_LUA: LuaHelper = {
  uses: [REFUSE_DISABLED_LUA, GET_SESSION_LUA, HMAP_LUA, FMT_LUA, PUT_SESSION_LUA],
  lua: `
local function authenticate(user_key, sessions_key, sid, now)
  refuse_disabled(user_key)
  local s = get_session(sessions_key, sid, now)
  if not s then return nil end
  local u = hmap(user_key)
  if not u.id then return nil end
  s.lastUsedAt = fmt(now)
  put_session(sessions_key, s, now)
  return u
end`,
};
// Counts one attempt on a back-off counter (fields <prefix>count and <prefix>lockedUntil of key);
// from the threshold-th on, it is locked for 2^(n - threshold) s, capped. A success clears them.
export const COUNT_FAILURE_LUA: LuaHelper = {
  uses: [FMT_LUA],
  lua: `
local function count_failure(key, prefix, now, backoff)
  local count = redis.call('HINCRBY', key, prefix .. 'count', 1)
  if count >= backoff.threshold then
    local seconds = math.min(2 ^ (count - backoff.threshold), backoff.capSeconds)
    redis.call('HSET', key, prefix .. 'lockedUntil', fmt(now + seconds * 1000))
  end
  redis.call('EXPIRE', key, backoff.memorySeconds)
end`,
};
export const LOCKED_UNTIL_LUA: LuaHelper = {
  lua: `
local function locked_until(key, prefix)
  return tonumber(redis.call('HGET', key, prefix .. 'lockedUntil') or '0')
end`,
};
// The live link of a purpose with this hash, or nil (expired links are deleted on the way; I5).
export const LIVE_LINK_LUA: LuaHelper = {
  lua: `
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
end`,
};
export const PUT_LINK_LUA: LuaHelper = {
  uses: [FMT_LUA],
  lua: `
local function put_link(links_key, purpose, link, now)
  redis.call('HSET', links_key, purpose, cjson.encode(link))
  local wanted = tonumber(link.expiresAt) - now
  if redis.call('PTTL', links_key) < wanted then redis.call('PEXPIRE', links_key, fmt(wanted)) end
end`,
};
// An account-wide ceiling's window (fields windowStart, windowCount of key): its count so far,
// a new window begun when the last one is over (counted from its first failure).
export const CEILING_LUA: LuaHelper = {
  uses: [FMT_LUA],
  lua: `
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
end`,
};
// A right re-entered password: the session's own count and lock go, and the per-user ceiling
// takes back the attempt counted up front (BEGIN_REAUTH).
export const CLEAR_REAUTH_LUA: LuaHelper = {
  lua: `
local function clear_reauth(reauth_key, sid)
  redis.call('HDEL', reauth_key, 's:' .. sid .. 'count', 's:' .. sid .. 'lockedUntil')
  if tonumber(redis.call('HGET', reauth_key, 'windowCount') or '0') > 0 then
    redis.call('HINCRBY', reauth_key, 'windowCount', -1)
  end
end`,
};
// Takes back a log-in attempt counted up front (BEGIN_LOGIN) once it succeeded: the client's
// back-off cleared, the account-wide ceiling's count down by one.
export const CLEAR_LOGIN_FAILURE_LUA: LuaHelper = {
  lua: `
local function clear_login_failure(failures_key, client, counted)
  redis.call('HDEL', failures_key, 'c:' .. client .. 'count', 'c:' .. client .. 'lockedUntil')
  if counted and tonumber(redis.call('HGET', failures_key, 'windowCount') or '0') > 0 then
    redis.call('HINCRBY', failures_key, 'windowCount', -1)
  end
end`,
};
// A right password whose log-in now waits for a second factor: its up-front count is taken back
// (from the client and the ceiling), and the lock that count may have set with it, so the client's
// earlier failures still count but the second step is not blocked by its own password.
export const TAKE_BACK_ATTEMPT_LUA: LuaHelper = {
  lua: `
local function take_back_attempt(failures_key, client, counted)
  local count_field = 'c:' .. client .. 'count'
  if tonumber(redis.call('HGET', failures_key, count_field) or '0') > 0 then
    redis.call('HINCRBY', failures_key, count_field, -1)
  end
  redis.call('HDEL', failures_key, 'c:' .. client .. 'lockedUntil')
  if counted and tonumber(redis.call('HGET', failures_key, 'windowCount') or '0') > 0 then
    redis.call('HINCRBY', failures_key, 'windowCount', -1)
  end
end`,
};
// The second factors an account has, as mfa_required names them.
export const MFA_METHODS_LUA: LuaHelper = {
  lua: `
local function mfa_methods(mfa_key, passkeys_key)
  local methods = {}
  if redis.call('HEXISTS', mfa_key, 'secret') == 1 then
    table.insert(methods, 'totp')
    local codes = cjson.decode(redis.call('HGET', mfa_key, 'codes') or '[]')
    if #codes > 0 then table.insert(methods, 'recovery_code') end
    if redis.call('HLEN', passkeys_key) > 0 then table.insert(methods, 'passkey') end
  end
  return methods
end`,
};
// Appends one audit event (a table the script builds: never a secret, hash or token) to the
// account's list events:<uid>, newest first, and trims it: at most 500 (EVENTS_KEPT), none older than
// A.eventsRetentionMs (AUDIT_RETENTION_DAYS, added by `encode` for scripts that declare events_key).
export const APPEND_EVENT_LUA: LuaHelper = {
  uses: [FMT_LUA],
  lua: `
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
end`,
};
// The session check of an authenticated read, which writes nothing (a read-only script): the
// token's session is alive and its user exists. Returns the user (with its hash) and the session,
// or nil. A dead session is left for the next write to prune; `lastUsedAt` is written apart, and
// only when stale (lib/sessions/touch.ts).
export const READ_SESSION_LUA: LuaHelper = {
  uses: [REFUSE_DISABLED_LUA, HMAP_LUA],
  lua: `
local function read_session(user_key, sessions_key, sid, now)
  refuse_disabled(user_key)
  local raw = redis.call('HGET', sessions_key, sid)
  if not raw then return nil end
  local s = cjson.decode(raw)
  if tonumber(s.expiresAt) <= now then return nil end
  local u = hmap(user_key)
  if not u.id then return nil end
  return u, s
end`,
};

/**
 * The device of a registration (REGISTER): the account's first, remembered in the step that
 * creates the account, as lib/notices' REMEMBER_DEVICE would — no other device to forget, never
 * news. `device` is lib/notices/notices.ts `deviceOfClient`.
 */
export const FIRST_DEVICE_LUA: LuaHelper = {
  uses: [FMT_LUA],
  lua: `
local function remember_first_device(devices_key, device, now)
  redis.call('HSET', devices_key, device, fmt(now))
end`,
};
