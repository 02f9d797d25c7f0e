import { emailSelector } from '../keys';
import {
  type BackoffArgs,
  type CeilingArgs,
  type HashReply,
  type LockedReply,
  type PublicUserReply,
  script,
} from '../lua';
import {
  APPEND_EVENT_LUA,
  AUTHENTICATE_LUA,
  CEILING_LUA,
  CLEAR_REAUTH_LUA,
  COUNT_FAILURE_LUA,
  FMT_LUA,
  HMAP_LUA,
  LOCKED_UNTIL_LUA,
  PUBLIC_USER_LUA,
  REVOKE_SESSIONS_LUA,
} from '../lua-helpers';
import { IDENTITY_HELPERS, indexKeys } from '../oauth/identity-cleanup';

/** A re-entered password's start: who, and the back-off and ceiling it is counted on. */
export interface ReauthStartArgs {
  userId: string;
  sessionId: string;
  now: number;
  backoff: BackoffArgs;
  ceiling: CeilingArgs;
}

/** What BEGIN_REAUTH answers: the user (its whole hash) and the session's age, or a refusal. */
export type ReauthStartReply =
  | { status: 'unauthorized' }
  | LockedReply
  | { status: 'ok'; user: HashReply; sessionCreatedAt: number };

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
export const BEGIN_REAUTH = /* @__PURE__ */ script<ReauthStartArgs, ReauthStartReply>(
  ['user_key', 'sessions_key', 'reauth_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId)],
  `
return reply({ status = 'ok', user = u, sessionCreatedAt = session_created_at })
`,
  [AUTHENTICATE_LUA, COUNT_FAILURE_LUA, LOCKED_UNTIL_LUA, CEILING_LUA, BEGIN_REAUTH_LUA],
);

/**
 * BEGIN_REAUTH for a change that also needs the current second factor (turning TOTP off, new
 * recovery codes): the same counting, and what the code is checked against.
 */
export const BEGIN_REAUTH_WITH_FACTOR = /* @__PURE__ */ script<
  ReauthStartArgs,
  | Exclude<ReauthStartReply, { status: 'ok' }>
  // The TOTP secret (encrypted; null when TOTP is off) and the last time step accepted (0: none).
  | { status: 'ok'; user: HashReply; sessionCreatedAt: number; secret: string | null; lastStep: number }
>(
  ['user_key', 'sessions_key', 'reauth_key', 'mfa_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.reauthFailures(a.userId), k.mfa(a.userId)],
  `
local m = redis.call('HMGET', mfa_key, 'secret', 'lastStep')
return reply({ status = 'ok', user = u, sessionCreatedAt = session_created_at, secret = m[1] or cjson.null,
  lastStep = tonumber(m[2] or '0') })
`,
  [AUTHENTICATE_LUA, COUNT_FAILURE_LUA, LOCKED_UNTIL_LUA, CEILING_LUA, BEGIN_REAUTH_LUA],
);

/** Rename (no password involved): the session check and the new name. */
export const RENAME = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
    name: string;
  },
  { status: 'unauthorized' } | { status: 'ok'; user: PublicUserReply }
>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
redis.call('HSET', user_key, 'name', A.name, 'updatedAt', fmt(A.now))
return reply({ status = 'ok', user = public_user(hmap(user_key)) })
`,
  [HMAP_LUA, FMT_LUA, PUBLIC_USER_LUA, AUTHENTICATE_LUA],
);

/**
 * Email change (I1, I2), if the old email and the hash are still those just verified and the new
 * email is free. On an account whose address is proved, the change is pending (`pendingEmail`):
 * the old address stays the credential until the new one is proved (COMPLETE_EMAIL_CHANGE), so a
 * thief with the password cannot move the account away at once. On an unproved account the
 * credential moves now and the new address starts unverified. Asking for the current address
 * again cancels a pending change.
 */
export const CHANGE_EMAIL = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
    oldEmail: string;
    newEmail: string;
    name: string | null;
    verifiedHash: string;
  },
  | { status: 'unauthorized' | 'stale' | 'email_taken' }
  | { status: 'ok'; pending: boolean; user: PublicUserReply }
>(
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
  [HMAP_LUA, FMT_LUA, PUBLIC_USER_LUA, AUTHENTICATE_LUA, CLEAR_REAUTH_LUA, APPEND_EVENT_LUA],
);

/** Clears the re-authentication back-off after a correct password that changed nothing else. */
export const CLEAR_REAUTH = /* @__PURE__ */ script<{ userId: string; sessionId: string }, { status: 'ok' }>(
  ['reauth_key'],
  (k, a) => [k.reauthFailures(a.userId)],
  `
clear_reauth(reauth_key, A.sessionId)
return reply({ status = 'ok' })
`,
  CLEAR_REAUTH_LUA,
);

/** Password change (I2): swap the hash if it is still the verified one; revoke every other session. */
export const CHANGE_PASSWORD = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
    email: string;
    verifiedHash: string;
    newHash: string;
  },
  { status: 'unauthorized' | 'stale' } | { status: 'ok'; revoked: number }
>(
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
  [FMT_LUA, REVOKE_SESSIONS_LUA, AUTHENTICATE_LUA, APPEND_EVENT_LUA],
);

/**
 * Account deletion (I1, I3, I6, O1): the user, its credential, sessions, counters, second factor
 * and sign-in identities (lib/oauth) go together.
 */
export const DELETE_ACCOUNT = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
    email: string;
    verifiedHash: string;
    providers: string[];
    indexAt: number;
  },
  { status: 'unauthorized' | 'stale' } | { status: 'ok'; revoked: number }
>(
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
  [REVOKE_SESSIONS_LUA, AUTHENTICATE_LUA, IDENTITY_HELPERS],
);
