import {
  AUTHENTICATE_LUA,
  CREATE_SESSION_LUA,
  FMT_LUA,
  HMAP_LUA,
  type LuaList,
  type MfaLoginArgs,
  PUBLIC_USER_LUA,
  type PublicUserReply,
  REFUSE_DISABLED_LUA,
  REVOKE_SESSIONS_LUA,
  type SessionArgs,
  script,
} from '../scripts';
import type { ProviderId } from './config';
import { IDENTITY_HELPERS, indexKeys } from './identity-cleanup';

/**
 * Social log-in's Lua (README "Social log-in"), with lib/scripts.ts's conventions: every key in
 * KEYS, named arguments in one JSON document, one JSON reply with a `status`.
 *
 * Data (under the key prefix):
 *   oauth-state:<hash>     string JSON {provider, verifier, nonce, redirectUri, challenge, link,
 *                                 expiresAt}: a sign-in at the provider; TTL OAUTH_STATE_TTL_SECONDS
 *   oauth-code:<hash>      string JSON {userId, challenge, created, identityId, expiresAt}: a
 *                                 finished sign-in waiting for the app; TTL 60 s
 *   identities:<uid>       hash   identity id → JSON {id, provider, subject, email, createdAt, lastUsedAt}
 *   identity-index:<p>     hash   the provider's subject → user id
 *
 * Invariants (dev/verify-data.ts checks them):
 *   O1  identity-index:<p>[subject] = uid ⇔ identities:<uid> has exactly one record with
 *       (provider p, subject); identities:<uid> exists ⇒ user:<uid> exists
 *   O2  oauth-state:* and oauth-code:* carry a TTL
 *   O3  a user without a password (passwordHash '') has an identity or a passkey — kept by
 *       UNLINK_IDENTITY; an account made by a provider starts with its identity
 */

/**
 * A sign-in leaving for the provider: the client's per-IP window counted (RATE_LIMIT_OAUTH_PER_IP,
 * a fixed window: over the limit → 'limited', nothing stored), a linking caller's session checked,
 * and the state record kept for the state's lifetime — one round trip.
 */
export const START = /* @__PURE__ */ script<
  {
    stateHash: string;
    record: string;
    ttlMs: number;
    window: string;
    limit: number;
    windowMs: number;
    now: number;
    link: { userId: string; sessionId: string } | null;
  },
  { status: 'ok' | 'unauthorized' } | { status: 'limited'; retryAfterMs: number }
>(
  ['state_key', 'limit_key'],
  (k, a) => [
    k.oauthState(a.stateHash),
    k.rateLimit(`oauth-ip:${a.window}`),
    ...(a.link ? [k.user(a.link.userId), k.sessions(a.link.userId)] : []),
  ],
  `
local count = redis.call('INCR', limit_key)
if count == 1 then redis.call('PEXPIRE', limit_key, A.windowMs) end
if count > A.limit then return reply({ status = 'limited', retryAfterMs = redis.call('PTTL', limit_key) }) end
if A.link ~= cjson.null and not authenticate(KEYS[3], KEYS[4], A.link.sessionId, A.now) then
  return reply({ status = 'unauthorized' })
end
redis.call('SET', state_key, A.record, 'PX', A.ttlMs)
return reply({ status = 'ok' })
`,
  AUTHENTICATE_LUA,
);

/** Takes a state, once: of parallel callbacks with one state exactly one gets it. */
export const TAKE_STATE = /* @__PURE__ */ script<
  { stateHash: string; now: number },
  // `record`: the state's stored JSON (StateRecord), parsed by lib/oauth/store.ts.
  { status: 'invalid' } | { status: 'ok'; record: string }
>(
  ['state_key'],
  (k, a) => [k.oauthState(a.stateHash)],
  `
local raw = redis.call('GET', state_key)
if not raw then return reply({ status = 'invalid' }) end
redis.call('DEL', state_key)
local s = cjson.decode(raw)
if tonumber(s.expiresAt) <= A.now then return reply({ status = 'invalid' }) end
return reply({ status = 'ok', record = raw })
`,
);

/** Who an identity and an email belong to now (read before SIGN_IN, which checks it did not change). */
export const LOOKUP = /* @__PURE__ */ script<
  { provider: ProviderId; subject: string; email: string },
  { status: 'ok'; identityUser: string; emailUser: string }
>(
  ['index_key', 'email_key'],
  (k, a) => [k.identityIndex(a.provider), k.email(a.email)],
  `
local by_identity = redis.call('HGET', index_key, A.subject)
local by_email = redis.call('HGET', email_key, 'userId')
return reply({ status = 'ok', identityUser = by_identity or '', emailUser = by_email or '' })
`,
);

/** A provider's verified answer about who signs in. */
export interface ProviderIdentity {
  provider: ProviderId;
  subject: string;
  /** Canonical email, or null when the provider gave none. */
  email: string;
  emailVerified: boolean;
  name: string;
}

/** How SIGN_IN let the identity in. */
export type SignInOutcome = 'signed_in' | 'linked' | 'reclaimed' | 'created';

/**
 * A sign-in, decided (README "Social log-in", docs/security.md), all or nothing, and its one-time code stored:
 * - a known identity → its account;
 * - an unknown one with a verified email → a new account (no password), the verified account of
 *   that email (linked), or the unverified one (reclaimed, as a completed reset would: password
 *   removed, sessions, refresh tokens, links, second factors, passkeys, ceremonies and other
 *   identities gone, email verified);
 * - an unknown one with an unverified email: the address taken → 'link_required', nothing changes;
 *   free → a new account, email unverified.
 * `expect` is what LOOKUP read: if the identity or the email changed hands since, 'retry'.
 */
export const SIGN_IN = /* @__PURE__ */ script<
  ProviderIdentity & {
    userId: string;
    identityId: string;
    expect: { identityUser: string; emailUser: string };
    code: { hash: string; challenge: string; ttlMs: number };
    now: number;
    providers: string[];
    indexAt: number;
  },
  { status: 'retry' | 'link_required' } | { status: 'ok'; outcome: SignInOutcome }
>(
  [
    'email_key',
    'code_key',
    'user_key',
    'sessions_key',
    'identities_key',
    'links_key',
    'mfa_key',
    'mfa_logins_key',
    'passkeys_key',
    'webauthn_key',
    'reauth_key',
    'failures_key',
  ],
  (k, a) => [
    k.email(a.email),
    k.oauthCode(a.code.hash),
    k.user(a.userId),
    k.sessions(a.userId),
    k.identities(a.userId),
    k.links(a.userId),
    k.mfa(a.userId),
    k.mfaLogins(a.userId),
    k.passkeys(a.userId),
    k.webauthn(a.userId),
    k.reauthFailures(a.userId),
    k.loginFailures(a.email),
    ...indexKeys(k),
  ],
  `
local index_key = index_of(A.provider)
local by_identity = redis.call('HGET', index_key, A.subject) or ''
local by_email = redis.call('HGET', email_key, 'userId') or ''
if by_identity ~= A.expect.identityUser or by_email ~= A.expect.emailUser then return reply({ status = 'retry' }) end
local outcome
if by_identity ~= '' then
  outcome = 'signed_in'
elseif by_email ~= '' then
  if not A.emailVerified then return reply({ status = 'link_required' }) end
  if redis.call('HGET', user_key, 'emailVerified') == '1' then
    outcome = 'linked'
  else
    -- The address's owner reclaims an account someone registered with it (docs/security.md).
    revoke_sessions(sessions_key, nil, A.now)
    drop_identities(identities_key, A.userId)
    redis.call('DEL', sessions_key, links_key, mfa_key, mfa_logins_key, passkeys_key, webauthn_key, reauth_key,
      failures_key)
    redis.call('HSET', user_key, 'passwordHash', '', 'emailVerified', '1', 'updatedAt', fmt(A.now))
    if A.name ~= '' then redis.call('HSET', user_key, 'name', A.name) end
    redis.call('HSET', email_key, 'passwordHash', '')
    outcome = 'reclaimed'
  end
else
  redis.call('HSET', email_key, 'userId', A.userId, 'passwordHash', '')
  redis.call('HSET', user_key, 'id', A.userId, 'name', A.name, 'email', A.email,
    'emailVerified', A.emailVerified and '1' or '0', 'passwordHash', '', 'createdAt', fmt(A.now),
    'updatedAt', fmt(A.now))
  outcome = 'created'
end
local identity_id = A.identityId
if by_identity == '' then
  redis.call('HSET', index_key, A.subject, A.userId)
  redis.call('HSET', identities_key, identity_id, cjson.encode({ id = identity_id, provider = A.provider,
    subject = A.subject, email = A.email, createdAt = fmt(A.now) }))
else
  for _, raw in ipairs(redis.call('HVALS', identities_key)) do
    local id = cjson.decode(raw)
    if id.provider == A.provider and id.subject == A.subject then identity_id = id.id end
  end
end
redis.call('SET', code_key, cjson.encode({ userId = A.userId, challenge = A.code.challenge,
  created = outcome == 'created', identityId = identity_id, expiresAt = fmt(A.now + A.code.ttlMs) }),
  'PX', A.code.ttlMs)
return reply({ status = 'ok', outcome = outcome })
`,
  [FMT_LUA, REVOKE_SESSIONS_LUA, IDENTITY_HELPERS],
);

/**
 * A link started by a signed-in caller: the identity joins the caller's account unless it
 * belongs to another ('identity_taken'); of racing links of one identity exactly one wins.
 */
export const LINK = /* @__PURE__ */ script<
  {
    provider: ProviderId;
    subject: string;
    email: string;
    userId: string;
    sessionId: string;
    identityId: string;
    now: number;
  },
  { status: 'ok' | 'identity_taken' | 'unauthorized' }
>(
  ['index_key', 'user_key', 'sessions_key', 'identities_key'],
  (k, a) => [k.identityIndex(a.provider), k.user(a.userId), k.sessions(a.userId), k.identities(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
local owner = redis.call('HGET', index_key, A.subject)
if owner == A.userId then return reply({ status = 'ok' }) end
if owner then return reply({ status = 'identity_taken' }) end
redis.call('HSET', index_key, A.subject, A.userId)
redis.call('HSET', identities_key, A.identityId, cjson.encode({ id = A.identityId, provider = A.provider,
  subject = A.subject, email = A.email, createdAt = fmt(A.now) }))
return reply({ status = 'ok' })
`,
  [FMT_LUA, AUTHENTICATE_LUA],
);

/**
 * Redeems a one-time code, once (a wrong verifier spends it too): the session opens — or, with
 * TOTP on, the log-in waits for its second factor (`mfaLogin`, answered `mfa_required`), exactly
 * as a password log-in does (lib/scripts.ts LOGIN).
 */
export type RedeemCodeReply =
  | { status: 'invalid' }
  | { status: 'mfa_required'; methods: string[] }
  | { status: 'ok'; user: PublicUserReply; created: boolean };
export const REDEEM_CODE = /* @__PURE__ */ script<
  {
    codeHash: string;
    userId: string;
    challenge: string;
    client: string;
    now: number;
    session: SessionArgs;
    mfaLogin: MfaLoginArgs;
  },
  RedeemCodeReply
>(
  ['code_key', 'user_key', 'sessions_key', 'identities_key', 'mfa_key', 'mfa_logins_key', 'passkeys_key'],
  (k, a) => [
    k.oauthCode(a.codeHash),
    k.user(a.userId),
    k.sessions(a.userId),
    k.identities(a.userId),
    k.mfa(a.userId),
    k.mfaLogins(a.userId),
    k.passkeys(a.userId),
  ],
  `
-- A disabled account opens no session (403 account_disabled), before anything changes.
refuse_disabled(user_key)
local raw = redis.call('GET', code_key)
if not raw then return reply({ status = 'invalid' }) end
redis.call('DEL', code_key)
local c = cjson.decode(raw)
if c.challenge ~= A.challenge or c.userId ~= A.userId or tonumber(c.expiresAt) <= A.now then
  return reply({ status = 'invalid' })
end
local u = hmap(user_key)
if not u.id then return reply({ status = 'invalid' }) end
local identity = redis.call('HGET', identities_key, c.identityId)
if identity then
  local id = cjson.decode(identity)
  id.lastUsedAt = fmt(A.now)
  redis.call('HSET', identities_key, c.identityId, cjson.encode(id))
end
if redis.call('HEXISTS', mfa_key, 'secret') == 1 then
  local methods = { 'totp' }
  local codes = cjson.decode(redis.call('HGET', mfa_key, 'codes') or '[]')
  if #codes > 0 then table.insert(methods, 'recovery_code') end
  if redis.call('HLEN', passkeys_key) > 0 then table.insert(methods, 'passkey') end
  local m = A.mfaLogin
  redis.call('HSET', mfa_logins_key, m.id, cjson.encode({ hash = m.hash, expiresAt = fmt(A.now + m.ttlMs),
    attempts = 0, client = A.client, email = u.email, userAgent = m.userAgent }))
  if redis.call('PTTL', mfa_logins_key) < m.ttlMs then redis.call('PEXPIRE', mfa_logins_key, m.ttlMs) end
  return reply({ status = 'mfa_required', methods = methods })
end
create_session(sessions_key, A.session, A.now)
return reply({ status = 'ok', user = public_user(u), created = c.created })
`,
  [HMAP_LUA, FMT_LUA, PUBLIC_USER_LUA, CREATE_SESSION_LUA, REFUSE_DISABLED_LUA],
);

/** The caller's identities, and whether the account has a password. */
export const LIST_IDENTITIES = /* @__PURE__ */ script<
  { userId: string; sessionId: string; now: number },
  // `identities`: the stored JSON of each (StoredIdentity), parsed by lib/oauth/store.ts.
  { status: 'unauthorized' } | { status: 'ok'; identities: LuaList<string>; hasPassword: boolean }
>(
  ['user_key', 'sessions_key', 'identities_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.identities(a.userId)],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
return reply({ status = 'ok', identities = redis.call('HVALS', identities_key),
  hasPassword = (u.passwordHash or '') ~= '' })
`,
  AUTHENTICATE_LUA,
);

/** Unlinks one of the caller's identities, unless it is the account's last way to sign in (O3). */
export const UNLINK_IDENTITY = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    identityId: string;
    now: number;
    providers: string[];
    indexAt: number;
  },
  { status: 'ok' | 'unauthorized' | 'not_found' | 'last_sign_in_method' }
>(
  ['user_key', 'sessions_key', 'identities_key', 'passkeys_key'],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.identities(a.userId),
    k.passkeys(a.userId),
    ...indexKeys(k),
  ],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
local raw = redis.call('HGET', identities_key, A.identityId)
if not raw then return reply({ status = 'not_found' }) end
if (u.passwordHash or '') == '' and redis.call('HLEN', passkeys_key) == 0
  and redis.call('HLEN', identities_key) == 1 then
  return reply({ status = 'last_sign_in_method' })
end
local id = cjson.decode(raw)
local index_key = index_of(id.provider)
if index_key and redis.call('HGET', index_key, id.subject) == A.userId then
  redis.call('HDEL', index_key, id.subject)
end
redis.call('HDEL', identities_key, A.identityId)
return reply({ status = 'ok' })
`,
  [AUTHENTICATE_LUA, IDENTITY_HELPERS],
);
