import {
  type BackoffArgs,
  type CeilingArgs,
  type HashReply,
  type LockedReply,
  type MfaLoginArgs,
  type PublicUserReply,
  type SessionArgs,
  type SessionReadReply,
  script,
} from '../lua';
import {
  APPEND_EVENT_LUA,
  CEILING_LUA,
  CLEAR_LOGIN_FAILURE_LUA,
  COUNT_FAILURE_LUA,
  CREATE_SESSION_LUA,
  FIRST_DEVICE_LUA,
  FMT_LUA,
  HMAP_LUA,
  LOCKED_UNTIL_LUA,
  MFA_METHODS_LUA,
  PUBLIC_USER_LUA,
  READ_SESSION_LUA,
  TAKE_BACK_ATTEMPT_LUA,
} from '../lua-helpers';

/**
 * Register (I1–I3): claim the email, create the user and its first session — all or nothing. With a
 * session, its device is the account's first (lib/notices): remembered here, not by a mail job.
 */
export const REGISTER = /* @__PURE__ */ script<
  {
    userId: string;
    name: string;
    email: string;
    passwordHash: string;
    now: number;
    session: SessionArgs | null;
    /** The registering client's device (lib/notices `deviceOfClient`), remembered with a session. */
    device: string;
  },
  { status: 'ok' } | { status: 'email_taken' }
>(
  ['email_key', 'user_key', 'sessions_key', 'events_key', 'devices_key'],
  (k, a) => [
    k.email(a.email),
    k.user(a.userId),
    k.sessions(a.userId),
    k.events(a.userId),
    k.devices(a.userId),
  ],
  `
if redis.call('EXISTS', email_key) == 1 then return reply({ status = 'email_taken' }) end
redis.call('HSET', email_key, 'userId', A.userId, 'passwordHash', A.passwordHash)
redis.call('HSET', user_key, 'id', A.userId, 'name', A.name, 'email', A.email, 'emailVerified', '0',
  'passwordHash', A.passwordHash, 'createdAt', fmt(A.now), 'updatedAt', fmt(A.now))
if A.session ~= cjson.null then
  create_session(sessions_key, A.session, A.now)
  remember_first_device(devices_key, A.device, A.now)
end
append_event(events_key, { event = 'registered' }, A.now)
return reply({ status = 'ok' })
`,
  [FMT_LUA, CREATE_SESSION_LUA, APPEND_EVENT_LUA, FIRST_DEVICE_LUA],
);

/**
 * Log-in start: check the back-off of this (email, client) and the email's account-wide ceiling,
 * and count this attempt as a failure on both up front, in one step, so parallel guesses cannot
 * all slip past the lock while their hashes are checked. A success takes it back (LOGIN).
 * Unknown emails are counted too: no enumeration. The per-client back-off means a stranger who
 * knows an email cannot lock its owner out from elsewhere; the ceiling (`ceiling.limit` failures
 * per `ceiling.windowMs`, from the first) still bounds guessing spread over many clients.
 */
export type BeginLoginReply =
  | LockedReply
  // An unknown email is counted and answered as one with no credential (no enumeration).
  | { status: 'ok'; userId?: undefined }
  | { status: 'ok'; userId: string; passwordHash: string; ceilingCounted: boolean };
export const BEGIN_LOGIN = /* @__PURE__ */ script<
  {
    email: string;
    client: string;
    now: number;
    backoff: BackoffArgs;
    ceiling: CeilingArgs;
    /** The user a valid known-device token names (lib/accounts/known-devices.ts), or null. */
    deviceUserId: string | null;
  },
  BeginLoginReply
>(
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
  [COUNT_FAILURE_LUA, LOCKED_UNTIL_LUA, CEILING_LUA],
);

/**
 * Log-in commit (I2, I3): open a session only if the password hash is still the one just verified
 * (a concurrent password change or deletion wins), re-hash if asked, and take the attempt back
 * from the back-off. With `requireVerified`, an unverified email opens nothing (after the password
 * was checked). With a second factor on, no session either: the log-in waits for the factor
 * (`mfaLogin`, answered as `mfa_required`); the client's earlier failures are not cleared (only a
 * completed second step clears them), so wrong codes add up across log-ins.
 */
export type LoginReply =
  | { status: 'stale' | 'disabled' | 'unverified' }
  // Never empty: a log-in waits for a second factor only when the account has one.
  | { status: 'mfa_required'; methods: string[] }
  | { status: 'ok'; user: PublicUserReply };
export const LOGIN = /* @__PURE__ */ script<
  {
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
  },
  LoginReply
>(
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
  [
    HMAP_LUA,
    FMT_LUA,
    PUBLIC_USER_LUA,
    CREATE_SESSION_LUA,
    CLEAR_LOGIN_FAILURE_LUA,
    TAKE_BACK_ATTEMPT_LUA,
    MFA_METHODS_LUA,
    APPEND_EVENT_LUA,
  ],
);

/**
 * The session check and the user in one round trip (profile reads, the body-error check).
 * Read-only: answers the session's `lastUsedAt` for the touch that may follow (lib/accounts/store.ts
 * `createUserReader`: only where the function hands the touch in).
 */
export const AUTHENTICATE = /* @__PURE__ */ script<
  { userId: string; sessionId: string; now: number },
  { status: 'unauthorized' } | ({ status: 'ok'; user: HashReply } & SessionReadReply)
>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
local u, s = read_session(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
return reply({ status = 'ok', user = u, lastUsedAt = s.lastUsedAt })
`,
  READ_SESSION_LUA,
  true,
);
