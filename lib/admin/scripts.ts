import {
  APPEND_EVENT_LUA,
  FMT_LUA,
  HMAP_LUA,
  PUBLIC_USER_LUA,
  type PublicUserReply,
  REVOKE_SESSIONS_LUA,
  script,
} from '../scripts';

// The operators' changes to an account (`npm run admin`). Each one names the account by user id
// and, where a key hangs off the email, checks that the email is still the account's (the caller
// read it first: read, then compare-and-set). Each appends its audit event to the account's list
// (append_event in lib/scripts.ts).

/** An event for the account's own list: its name and fields (never a secret). */
export type AccountEventEntry = { event: string } & Record<string, unknown>;

/** What an operator sees of an account: never a hash, secret or token. */
export const FIND_ACCOUNT = /* @__PURE__ */ script<
  { userId: string; now: number },
  | { status: 'not_found' }
  | {
      status: 'ok';
      user: PublicUserReply & { disabledAt?: string; disabledReason?: string };
      sessions: number;
      totp: boolean;
      passkeys: number;
      reauthLockedUntil: number;
    }
>(
  ['user_key', 'sessions_key', 'mfa_key', 'passkeys_key', 'reauth_key'],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.mfa(a.userId),
    k.passkeys(a.userId),
    k.reauthFailures(a.userId),
  ],
  `
local u = hmap(user_key)
if not u.id then return reply({ status = 'not_found' }) end
local live = 0
for _, raw in ipairs(redis.call('HVALS', sessions_key)) do
  if tonumber(cjson.decode(raw).expiresAt) > A.now then live = live + 1 end
end
local user = public_user(u)
user.disabledAt = u.disabledAt
user.disabledReason = u.disabledReason
return reply({ status = 'ok', user = user, sessions = live, totp = redis.call('HEXISTS', mfa_key, 'secret') == 1,
  passkeys = redis.call('HLEN', passkeys_key), reauthLockedUntil = tonumber(redis.call('HGET', reauth_key, 'lockedUntil') or '0') })
`,
  [HMAP_LUA, PUBLIC_USER_LUA],
);

/**
 * Disables an account: log-in, refresh, the second step of a log-in and every session refused
 * (refuse_disabled in lib/scripts.ts) until enabled; its sessions die now. Log-ins waiting for a
 * second factor are left to expire (300 s): their second step is refused with account_disabled.
 */
export const DISABLE_ACCOUNT = /* @__PURE__ */ script<
  {
    userId: string;
    now: number;
    reason: string;
    entry: AccountEventEntry;
  },
  { status: 'not_found' } | { status: 'ok'; revoked: number; alreadyDisabled: boolean }
>(
  ['user_key', 'sessions_key', 'events_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.events(a.userId)],
  `
if redis.call('EXISTS', user_key) == 0 then return reply({ status = 'not_found' }) end
local already = redis.call('HEXISTS', user_key, 'disabledAt') == 1
if not already then redis.call('HSET', user_key, 'disabledAt', fmt(A.now)) end
redis.call('HSET', user_key, 'disabledReason', A.reason)
local revoked = revoke_sessions(sessions_key, nil, A.now)
redis.call('DEL', sessions_key)
append_event(events_key, A.entry, A.now)
return reply({ status = 'ok', revoked = revoked, alreadyDisabled = already })
`,
  [FMT_LUA, REVOKE_SESSIONS_LUA, APPEND_EVENT_LUA],
);

/** Enables a disabled account again (its old sessions stay dead). */
export const ENABLE_ACCOUNT = /* @__PURE__ */ script<
  {
    userId: string;
    now: number;
    entry: AccountEventEntry;
  },
  { status: 'not_found' } | { status: 'ok'; wasDisabled: boolean }
>(
  ['user_key', 'events_key'],
  (k, a) => [k.user(a.userId), k.events(a.userId)],
  `
if redis.call('EXISTS', user_key) == 0 then return reply({ status = 'not_found' }) end
local was = redis.call('HDEL', user_key, 'disabledAt', 'disabledReason') > 0
append_event(events_key, A.entry, A.now)
return reply({ status = 'ok', wasDisabled = was })
`,
  APPEND_EVENT_LUA,
);

/** Clears the log-in back-off of the account's email (every client, and the ceiling) and its re-auth counter. */
export const UNLOCK_ACCOUNT = /* @__PURE__ */ script<
  {
    userId: string;
    email: string;
    now: number;
    entry: AccountEventEntry;
  },
  { status: 'not_found' | 'stale' } | { status: 'ok'; cleared: number }
>(
  ['user_key', 'failures_key', 'reauth_key', 'events_key'],
  (k, a) => [k.user(a.userId), k.loginFailures(a.email), k.reauthFailures(a.userId), k.events(a.userId)],
  `
local email = redis.call('HGET', user_key, 'email')
if not email then return reply({ status = 'not_found' }) end
if email ~= A.email then return reply({ status = 'stale' }) end
local cleared = redis.call('DEL', failures_key, reauth_key)
append_event(events_key, A.entry, A.now)
return reply({ status = 'ok', cleared = cleared })
`,
  APPEND_EVENT_LUA,
);

/** Revokes every session of the account, and its log-ins waiting for a second factor. */
export const REVOKE_ACCOUNT_SESSIONS = /* @__PURE__ */ script<
  {
    userId: string;
    now: number;
    entry: AccountEventEntry;
  },
  { status: 'not_found' } | { status: 'ok'; revoked: number }
>(
  ['user_key', 'sessions_key', 'mfa_logins_key', 'events_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.mfaLogins(a.userId), k.events(a.userId)],
  `
if redis.call('EXISTS', user_key) == 0 then return reply({ status = 'not_found' }) end
local revoked = revoke_sessions(sessions_key, nil, A.now)
redis.call('DEL', mfa_logins_key)
append_event(events_key, A.entry, A.now)
return reply({ status = 'ok', revoked = revoked })
`,
  [REVOKE_SESSIONS_LUA, APPEND_EVENT_LUA],
);

/** Deletes an account (I1, I3, I6) as DELETE /users/me does, without its password: everything goes at once. */
export const DELETE_ACCOUNT_BY_OPERATOR = /* @__PURE__ */ script<
  {
    userId: string;
    email: string;
    now: number;
  },
  { status: 'not_found' | 'stale' } | { status: 'ok'; revoked: number }
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
local email = redis.call('HGET', user_key, 'email')
if not email then return reply({ status = 'not_found' }) end
if email ~= A.email then return reply({ status = 'stale' }) end
local revoked = revoke_sessions(sessions_key, nil, A.now)
redis.call('DEL', user_key, sessions_key, reauth_key, email_key, failures_key, links_key, mfa_key, mfa_logins_key,
  passkeys_key, webauthn_key, events_key, devices_key)
return reply({ status = 'ok', revoked = revoked })
`,
  REVOKE_SESSIONS_LUA,
);
