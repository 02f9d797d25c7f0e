import { emailSelector } from '../keys';
import { type PublicUserReply, type SessionArgs, script } from '../lua';
import {
  APPEND_EVENT_LUA,
  CREATE_SESSION_LUA,
  FMT_LUA,
  HMAP_LUA,
  LIVE_LINK_LUA,
  PUBLIC_USER_LUA,
  PUT_LINK_LUA,
  REVOKE_SESSIONS_LUA,
} from '../lua-helpers';
import { IDENTITY_HELPERS, indexKeys } from '../oauth/identity-cleanup';

/** The credential of an email (log-in's lookup, for the mail function): its user id, or none. */
export const FIND_CREDENTIAL = /* @__PURE__ */ script<
  { email: string },
  { status: 'none' } | { status: 'ok'; userId: string }
>(
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
export const ISSUE_VERIFICATION = /* @__PURE__ */ script<
  { userId: string; tokenHash: string; now: number; ttlMs: number },
  // `email`: the address the link goes to (the pending one while a change waits).
  { status: 'gone' | 'verified' } | { status: 'ok'; email: string }
>(
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
  [FMT_LUA, PUT_LINK_LUA],
);

/** A new reset link for the account of `email` (the older one dies), if it still is that account's. */
export const ISSUE_RESET = /* @__PURE__ */ script<
  {
    email: string;
    userId: string;
    tokenHash: string;
    now: number;
    ttlMs: number;
  },
  { status: 'gone' | 'ok' }
>(
  ['email_key', 'links_key'],
  (k, a) => [k.email(a.email), k.links(a.userId)],
  `
if redis.call('HGET', email_key, 'userId') ~= A.userId then return reply({ status = 'gone' }) end
put_link(links_key, 'reset', { hash = A.tokenHash, expiresAt = fmt(A.now + A.ttlMs) }, A.now)
return reply({ status = 'ok' })
`,
  [FMT_LUA, PUT_LINK_LUA],
);

/**
 * Follows a verification link: once, before it expires, while the address is still the user's.
 * The first verification of an account proves who owns it: whatever was set up before by someone
 * who never proved the address (second factors, passkeys, pending ceremonies) goes (I6).
 */
export type ConsumeVerificationReply =
  | { status: 'invalid' }
  | { status: 'pending_change'; oldEmail: string; newEmail: string }
  | { status: 'ok'; user: PublicUserReply };
export const CONSUME_VERIFICATION = /* @__PURE__ */ script<
  {
    userId: string;
    tokenHash: string;
    now: number;
    providers: string[];
    indexAt: number;
  },
  ConsumeVerificationReply
>(
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
  [HMAP_LUA, FMT_LUA, PUBLIC_USER_LUA, LIVE_LINK_LUA, IDENTITY_HELPERS],
);

/**
 * A pending email change completes (I1, I2, I5): the verification link of the new address is
 * spent, the credential moves from the old address to the new one (which must still be free), the
 * address counts as proved, and the old address's log-in back-off and reset link go. The revert
 * link mailed to the old address stays live (REVERT_EMAIL_CHANGE).
 */
export const COMPLETE_EMAIL_CHANGE = /* @__PURE__ */ script<
  {
    userId: string;
    tokenHash: string;
    oldEmail: string;
    newEmail: string;
    now: number;
  },
  { status: 'invalid' | 'email_taken' } | { status: 'ok'; user: PublicUserReply }
>(
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
  [HMAP_LUA, FMT_LUA, PUBLIC_USER_LUA, LIVE_LINK_LUA],
);

/** The revert link mailed to the old address of an email change (7 days; the older one dies). */
export const ISSUE_REVERT = /* @__PURE__ */ script<
  {
    userId: string;
    oldEmail: string;
    tokenHash: string;
    now: number;
    ttlMs: number;
  },
  { status: 'gone' | 'ok' }
>(
  ['user_key', 'links_key'],
  (k, a) => [k.user(a.userId), k.links(a.userId)],
  `
if redis.call('EXISTS', user_key) == 0 then return reply({ status = 'gone' }) end
put_link(links_key, 'revert', { hash = A.tokenHash, email = A.oldEmail, expiresAt = fmt(A.now + A.ttlMs) }, A.now)
return reply({ status = 'ok' })
`,
  [FMT_LUA, PUT_LINK_LUA],
);

/** Whether a revert link is live: the address it restores and the account's current one. */
export const PEEK_REVERT = /* @__PURE__ */ script<
  { userId: string; tokenHash: string; now: number },
  { status: 'invalid' } | { status: 'ok'; oldEmail: string; currentEmail: string }
>(
  ['user_key', 'links_key'],
  (k, a) => [k.user(a.userId), k.links(a.userId)],
  `
local link = live_link(links_key, 'revert', A.tokenHash, A.now)
if not link then return reply({ status = 'invalid' }) end
local email = redis.call('HGET', user_key, 'email')
if not email then return reply({ status = 'invalid' }) end
return reply({ status = 'ok', oldEmail = link.email, currentEmail = email })
`,
  LIVE_LINK_LUA,
);

/**
 * Reverts an email change from the old address's link (I1–I6): the old address is the credential
 * again (if nobody took it meanwhile) and proved, a pending change is dropped, and whoever made the
 * change is shut out: every session, every link and every passkey go, with pending ceremonies.
 */
export const REVERT_EMAIL_CHANGE = /* @__PURE__ */ script<
  {
    userId: string;
    tokenHash: string;
    oldEmail: string;
    currentEmail: string;
    now: number;
  },
  { status: 'invalid' | 'email_taken' } | { status: 'ok'; revoked: number; user: PublicUserReply }
>(
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
  [HMAP_LUA, FMT_LUA, PUBLIC_USER_LUA, REVOKE_SESSIONS_LUA, LIVE_LINK_LUA],
);

/** Whether a reset link is live, and whose: the name and email the new password is checked against. */
export const PEEK_RESET = /* @__PURE__ */ script<
  { userId: string; tokenHash: string; now: number },
  { status: 'invalid' } | { status: 'ok'; name: string; email: string }
>(
  ['user_key', 'links_key'],
  (k, a) => [k.user(a.userId), k.links(a.userId)],
  `
if not live_link(links_key, 'reset', A.tokenHash, A.now) then return reply({ status = 'invalid' }) end
local u = redis.call('HMGET', user_key, 'name', 'email')
if not u[2] then return reply({ status = 'invalid' }) end
return reply({ status = 'ok', name = u[1], email = u[2] })
`,
  LIVE_LINK_LUA,
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
export type CompleteResetReply =
  | { status: 'invalid' }
  // `secondFactor`: TOTP is on, so no session opened; `reclaimed`: the address was never proved.
  | { status: 'ok'; revoked: number; secondFactor: boolean; reclaimed: boolean; user: PublicUserReply };
export const COMPLETE_RESET = /* @__PURE__ */ script<
  {
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
  },
  CompleteResetReply
>(
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
  [
    HMAP_LUA,
    FMT_LUA,
    PUBLIC_USER_LUA,
    CREATE_SESSION_LUA,
    REVOKE_SESSIONS_LUA,
    LIVE_LINK_LUA,
    APPEND_EVENT_LUA,
    IDENTITY_HELPERS,
  ],
);
