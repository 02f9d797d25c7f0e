import {
  type BackoffArgs,
  type CeilingArgs,
  type LockedReply,
  type PublicUserReply,
  REAUTHENTICATED,
  type ReauthArgs,
  type ReauthRefusal,
  type SessionArgs,
  type SessionReadReply,
  script,
} from '../lua';
import {
  APPEND_EVENT_LUA,
  AUTHENTICATE_LUA,
  CEILING_LUA,
  CLEAR_REAUTH_LUA,
  COUNT_FAILURE_LUA,
  CREATE_SESSION_LUA,
  FMT_LUA,
  HMAP_LUA,
  LOCKED_UNTIL_LUA,
  PUBLIC_USER_LUA,
  READ_SESSION_LUA,
  REFUSE_DISABLED_LUA,
} from '../lua-helpers';
import { touchIfStale } from '../sessions/touch';

/** The session check and the user's second-factor record (mfa:<uid>), in one round trip (read-only). */
export const MFA_STATE = /* @__PURE__ */ script<
  { userId: string; sessionId: string; now: number },
  | { status: 'unauthorized' }
  | ({
      status: 'ok';
      /** mfa:<uid>'s fields, absent when not set: the secrets encrypted, `enabledAt` epoch ms. */
      pending?: string;
      secret?: string;
      enabledAt?: string;
      codesLeft: number;
      passkeys: number;
    } & SessionReadReply)
>(
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
  [HMAP_LUA, READ_SESSION_LUA],
  touchIfStale,
);

/**
 * TOTP enrollment, step one: a pending secret (encrypted), unless TOTP is already on or the
 * address is unproved (a squatter's factor would survive the owner's reclaim otherwise). The
 * pending secret belongs to this session and lives `pendingTtlMs` (the key with it, while no
 * secret is in use).
 */
export const ENROLL_TOTP = /* @__PURE__ */ script<
  ReauthArgs & { pending: string; pendingTtlMs: number },
  ReauthRefusal | { status: 'unverified' | 'already_enabled' } | { status: 'ok'; email: string }
>(
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
  [FMT_LUA, AUTHENTICATE_LUA, CLEAR_REAUTH_LUA, REAUTHENTICATED],
);

/**
 * TOTP enrollment, step two's start: the pending secret of this session (live), once this attempt
 * is counted on the session's re-authentication back-off — a confirmation code cannot be guessed
 * without limit. CONFIRM_TOTP clears the count.
 */
export const BEGIN_TOTP_CONFIRMATION = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
    backoff: BackoffArgs;
  },
  | { status: 'unauthorized' | 'not_pending' }
  | { status: 'locked'; lockedUntil: number }
  | { status: 'ok'; pending: string }
>(
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
  [AUTHENTICATE_LUA, COUNT_FAILURE_LUA, LOCKED_UNTIL_LUA],
);

/**
 * TOTP enrollment, step two: the pending secret a first code was checked against becomes the
 * secret, that code's step the last one used, and the recovery codes (hashes) are stored.
 */
export const CONFIRM_TOTP = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
    pending: string;
    step: number;
    codes: string[];
  },
  { status: 'ok' | 'unauthorized' | 'not_pending' | 'unverified' }
>(
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
  [FMT_LUA, AUTHENTICATE_LUA, CLEAR_REAUTH_LUA, APPEND_EVENT_LUA],
);

/** The current second factor presented with a password: a TOTP code's step, or recovery-code hashes. */
export interface FactorArgs {
  step: number | null;
  recoveryHashes: string[] | null;
}

/** What a change after REAUTHENTICATED_WITH_FACTOR answers. */
export type FactorChangeReply = ReauthRefusal | { status: 'ok' | 'not_found' | 'factor_invalid' };

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
export const DISABLE_TOTP = /* @__PURE__ */ script<ReauthArgs & FactorArgs, FactorChangeReply>(
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
  [FMT_LUA, AUTHENTICATE_LUA, CLEAR_REAUTH_LUA, APPEND_EVENT_LUA, REAUTHENTICATED_WITH_FACTOR],
);

/** A new set of recovery codes (hashes); the old set dies. Only with TOTP on, and its current factor. */
export const NEW_RECOVERY_CODES = /* @__PURE__ */ script<
  ReauthArgs & FactorArgs & { codes: string[] },
  FactorChangeReply
>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId), k.mfa(a.userId)],
  `
if redis.call('HEXISTS', mfa_key, 'secret') == 0 then return reply({ status = 'not_found' }) end
if not spend_factor() then return reply({ status = 'factor_invalid' }) end
clear_reauth(reauth_key, A.sessionId)
redis.call('HSET', mfa_key, 'codes', cjson.encode(A.codes))
return reply({ status = 'ok' })
`,
  [FMT_LUA, AUTHENTICATE_LUA, CLEAR_REAUTH_LUA, REAUTHENTICATED_WITH_FACTOR],
);

/**
 * The second-factor step of a log-in, part one: the mfaToken's log-in is live, and this attempt
 * is counted on it up front (after `maxAttempts` it is refused), so parallel guesses cannot all
 * be checked. Answers what the code is checked against: the secret (encrypted) and last step.
 */
export const BEGIN_MFA_LOGIN = /* @__PURE__ */ script<
  {
    userId: string;
    loginId: string;
    hash: string;
    now: number;
    maxAttempts: number;
  },
  { status: 'invalid' } | { status: 'ok'; email: string; client: string; secret: string; lastStep: number }
>(
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
  HMAP_LUA,
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
export type CompleteMfaLoginReply =
  | { status: 'invalid' }
  | LockedReply
  // `attempts`: how many times the mfaToken was tried (absent for totp_capped).
  | {
      status: 'failed';
      reason: 'wrong_code' | 'replayed' | 'wrong_recovery_code' | 'totp_capped';
      attempts?: number;
    }
  | { status: 'ok'; used: 'totp' | 'recovery_code'; user: PublicUserReply };
export const COMPLETE_MFA_LOGIN = /* @__PURE__ */ script<
  {
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
  },
  CompleteMfaLoginReply
>(
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
  [
    HMAP_LUA,
    FMT_LUA,
    PUBLIC_USER_LUA,
    CREATE_SESSION_LUA,
    REFUSE_DISABLED_LUA,
    COUNT_FAILURE_LUA,
    LOCKED_UNTIL_LUA,
    CEILING_LUA,
    APPEND_EVENT_LUA,
  ],
);
