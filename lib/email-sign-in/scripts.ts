import { emailSelector } from '../keys';
import {
  type BackoffArgs,
  type CeilingArgs,
  CLEAR_LOGIN_FAILURE_LUA,
  COUNT_FAILURE_LUA,
  CREATE_SESSION_LUA,
  FMT_LUA,
  HMAP_LUA,
  LOCKED_UNTIL_LUA,
  type LockedReply,
  MFA_METHODS_LUA,
  type MfaLoginArgs,
  PUBLIC_USER_LUA,
  type PublicUserReply,
  REFUSE_DISABLED_LUA,
  REVOKE_SESSIONS_LUA,
  type SessionArgs,
  script,
  TAKE_BACK_ATTEMPT_LUA,
} from '../scripts';

/** A live sign-in mail as the scripts answer it: its id, its address, and who has the address ('' = nobody). */
export interface SignInReply {
  status: 'ok';
  id: string;
  email: string;
  userId: string;
}

/**
 * The Lua of passwordless email (docs/security.md, passwordless email), under lib/scripts.ts's conventions.
 *
 * Data (under the key prefix):
 *   email-sign-in:<selector>  hash  id, email, userId ('' when the mail offered a new account),
 *                                   tokenHash, codeHash, attempts, expiresAt; TTL = expiresAt.
 *                                   The one live sign-in mail of an address: a newer one replaces
 *                                   it, and using its link or its code deletes it.
 * Invariant (dev/verify-data.ts): E1 email-sign-in:<s> carries a TTL; it names its address
 * (selector = emailSelector(email)).
 */

/**
 * Issues the sign-in of an address (the mail function): the older one dies. Only for an address
 * with an account, or with sign-up on; answers which of the two the mail offers.
 */
export const ISSUE_EMAIL_SIGN_IN = /* @__PURE__ */ script<
  {
    id: string;
    email: string;
    tokenHash: string;
    codeHash: string;
    signUp: boolean;
    now: number;
    ttlMs: number;
  },
  { status: 'none' } | { status: 'ok'; newAccount: boolean }
>(
  ['sign_in_key', 'email_key'],
  (k, a) => [k.emailSignIn(emailSelector(a.email)), k.email(a.email)],
  `
local owner = redis.call('HGET', email_key, 'userId')
if not owner and not A.signUp then return reply({ status = 'none' }) end
redis.call('DEL', sign_in_key)
redis.call('HSET', sign_in_key, 'id', A.id, 'email', A.email, 'userId', owner or '', 'tokenHash', A.tokenHash,
  'codeHash', A.codeHash, 'attempts', '0', 'expiresAt', fmt(A.now + A.ttlMs))
redis.call('PEXPIRE', sign_in_key, A.ttlMs)
return reply({ status = 'ok', newAccount = not owner })
`,
  FMT_LUA,
);

// The live sign-in record, or nil (an expired one is deleted on the way).
const LIVE = `
local function live_sign_in(sign_in_key, now)
  local p = hmap(sign_in_key)
  if not p.id then return nil end
  if tonumber(p.expiresAt) <= now then
    redis.call('DEL', sign_in_key)
    return nil
  end
  return p
end
`;

/** The link's way in, step one: whose live sign-in the token is (nothing is spent or counted: 256 bits). */
export const PEEK_SIGN_IN_LINK = /* @__PURE__ */ script<
  { selector: string; tokenHash: string; now: number },
  { status: 'invalid' } | SignInReply
>(
  ['sign_in_key'],
  (k, a) => [k.emailSignIn(a.selector)],
  `
local p = live_sign_in(sign_in_key, A.now)
if not p or p.tokenHash ~= A.tokenHash then return reply({ status = 'invalid' }) end
return reply({ status = 'ok', id = p.id, email = p.email, userId = p.userId })
`,
  [HMAP_LUA, LIVE],
);

/**
 * The code's way in, step one. A code used up (`maxAttempts` tries) is refused, the right one too,
 * without counting. Otherwise, unless this (address, client)'s log-in back-off or the address's
 * account-wide ceiling is running, the try is counted up front — on the code, on the back-off and
 * on the ceiling, as a wrong password is — and only then compared: of parallel guesses at most
 * `maxAttempts` are ever compared. A right code is taken back from the back-off by COMPLETE.
 * Answers the address's current owner ('' when none), for COMPLETE's keys.
 */
export const BEGIN_SIGN_IN_CODE = /* @__PURE__ */ script<
  {
    email: string;
    codeHash: string;
    client: string;
    now: number;
    maxAttempts: number;
    backoff: BackoffArgs;
    ceiling: CeilingArgs;
  },
  // `attempts`: the codes tried on this mail so far, this one included.
  { status: 'invalid' | 'used_up' } | LockedReply | { status: 'wrong'; attempts: number } | SignInReply
>(
  ['sign_in_key', 'failures_key', 'email_key'],
  (k, a) => [k.emailSignIn(emailSelector(a.email)), k.loginFailures(a.email), k.email(a.email)],
  `
local p = live_sign_in(sign_in_key, A.now)
if not p then return reply({ status = 'invalid' }) end
if tonumber(p.attempts) >= A.maxAttempts then return reply({ status = 'used_up' }) end
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
local attempts = redis.call('HINCRBY', sign_in_key, 'attempts', 1)
redis.call('HINCRBY', failures_key, 'windowCount', 1)
count_failure(failures_key, prefix, A.now, A.backoff)
if p.codeHash ~= A.codeHash then return reply({ status = 'wrong', attempts = attempts }) end
return reply({ status = 'ok', id = p.id, email = p.email,
  userId = redis.call('HGET', email_key, 'userId') or '' })
`,
  [HMAP_LUA, FMT_LUA, COUNT_FAILURE_LUA, LOCKED_UNTIL_LUA, LIVE],
);

/**
 * Both ways in, step two (I1–I6), all or nothing. The sign-in `id` step one found is still the
 * live one, and the address still belongs to `userId` (or, with `create`, to nobody) — else
 * 'moved' with its owner now, and nothing changes (the caller retries once with those keys).
 * Then the sign-in is deleted (link and code are spent together), and:
 * - `create`: a new account, verified, without a password (name from the local part);
 * - an unverified account: its address's owner takes it over, as a completed reset would — its
 *   password, sessions, links, second factors and pending ceremonies go;
 * - the email counts as verified;
 * - with a second factor on: no session, a log-in waiting for the factor (`mfaLogin`);
 * - else a new session. A code's up-front count (`counted`) is taken back from the back-off.
 */
export type CompleteEmailSignInReply =
  | { status: 'invalid' }
  // The address changed hands since the mail went out: its owner now ('' = nobody).
  | { status: 'moved'; owner: string }
  | { status: 'mfa_required'; methods: string[] }
  | { status: 'ok'; created: boolean; user: PublicUserReply };
export const COMPLETE_EMAIL_SIGN_IN = /* @__PURE__ */ script<
  {
    id: string;
    email: string;
    userId: string;
    create: boolean;
    name: string;
    counted: boolean;
    client: string;
    now: number;
    session: SessionArgs;
    mfaLogin: MfaLoginArgs;
  },
  CompleteEmailSignInReply
>(
  [
    'sign_in_key',
    'email_key',
    'failures_key',
    'user_key',
    'sessions_key',
    'reauth_key',
    'links_key',
    'mfa_key',
    'mfa_logins_key',
    'passkeys_key',
    'webauthn_key',
  ],
  (k, a) => [
    k.emailSignIn(emailSelector(a.email)),
    k.email(a.email),
    k.loginFailures(a.email),
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.links(a.userId),
    k.mfa(a.userId),
    k.mfaLogins(a.userId),
    k.passkeys(a.userId),
    k.webauthn(a.userId),
  ],
  `
local p = live_sign_in(sign_in_key, A.now)
if not p or p.id ~= A.id then return reply({ status = 'invalid' }) end
local owner = redis.call('HGET', email_key, 'userId')
if (A.create and owner) or (not A.create and owner ~= A.userId) then
  return reply({ status = 'moved', owner = owner or '' })
end
-- A disabled account opens no session (403 account_disabled), before anything changes.
if not A.create then refuse_disabled(user_key) end
redis.call('DEL', sign_in_key)
local created = false
if A.create then
  redis.call('HSET', email_key, 'userId', A.userId, 'passwordHash', '')
  redis.call('HSET', user_key, 'id', A.userId, 'name', A.name, 'email', A.email, 'emailVerified', '1',
    'passwordHash', '', 'createdAt', fmt(A.now), 'updatedAt', fmt(A.now))
  created = true
elseif redis.call('HGET', user_key, 'emailVerified') ~= '1' then
  -- Whoever registered an address they do not own loses the account to the address's owner.
  revoke_sessions(sessions_key, nil, A.now)
  redis.call('DEL', reauth_key, links_key, mfa_key, mfa_logins_key, passkeys_key, webauthn_key)
  redis.call('HSET', user_key, 'passwordHash', '')
  redis.call('HSET', email_key, 'passwordHash', '')
end
redis.call('HSET', user_key, 'emailVerified', '1', 'updatedAt', fmt(A.now))
local methods = mfa_methods(mfa_key, passkeys_key)
if #methods > 0 then
  local m = A.mfaLogin
  redis.call('HSET', mfa_logins_key, m.id, cjson.encode({ hash = m.hash, expiresAt = fmt(A.now + m.ttlMs),
    attempts = 0, client = A.client, email = A.email, userAgent = m.userAgent }))
  if redis.call('PTTL', mfa_logins_key) < m.ttlMs then redis.call('PEXPIRE', mfa_logins_key, m.ttlMs) end
  if A.counted then take_back_attempt(failures_key, A.client) end
  return reply({ status = 'mfa_required', methods = methods })
end
if A.counted then clear_login_failure(failures_key, A.client) end
create_session(sessions_key, A.session, A.now)
return reply({ status = 'ok', created = created, user = public_user(hmap(user_key)) })
`,
  [
    HMAP_LUA,
    FMT_LUA,
    PUBLIC_USER_LUA,
    CREATE_SESSION_LUA,
    REVOKE_SESSIONS_LUA,
    REFUSE_DISABLED_LUA,
    CLEAR_LOGIN_FAILURE_LUA,
    TAKE_BACK_ATTEMPT_LUA,
    MFA_METHODS_LUA,
    LIVE,
  ],
);
