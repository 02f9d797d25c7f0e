import {
  type LuaList,
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
  CLEAR_REAUTH_LUA,
  CREATE_SESSION_LUA,
  FMT_LUA,
  GET_SESSION_LUA,
  HMAP_LUA,
  PUBLIC_USER_LUA,
  READ_SESSION_LUA,
  REFUSE_DISABLED_LUA,
} from '../lua-helpers';
import { touchIfStale } from '../sessions/touch';

/**
 * Passkey registration, step one: the session check; the caller proved to be the owner — by the
 * password just verified (`verifiedHash`, still the user's), or by a session opened within
 * `maxAgeMs` — and the address proved; then a new challenge (300 s, replacing any older one), and
 * what the options need: the user's email and name and their passkeys' ids (excludeCredentials:
 * one authenticator is not registered twice). A bare access token cannot add a passkey.
 */
export type PasskeyRegistrationOptionsReply =
  | ReauthRefusal
  | { status: 'reauthenticate' | 'unverified' }
  // `existing`: the user's passkeys, as excludeCredentials needs them.
  | {
      status: 'ok';
      email: string;
      name: string;
      existing: LuaList<{ id: string; transports?: LuaList<string> }>;
    };
export const PASSKEY_REGISTRATION_OPTIONS = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
    challenge: string;
    ttlMs: number;
    verifiedHash: string | null;
    maxAgeMs: number;
  },
  PasskeyRegistrationOptionsReply
>(
  ['user_key', 'sessions_key', 'reauth_key', 'webauthn_key', 'passkeys_key'],
  (k, a) => [
    k.user(a.userId),
    k.sessions(a.userId),
    k.reauthFailures(a.userId),
    k.webauthn(a.userId),
    k.passkeys(a.userId),
  ],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if A.verifiedHash ~= cjson.null then
  if u.passwordHash ~= A.verifiedHash then return reply({ status = 'stale' }) end
  clear_reauth(reauth_key, A.sessionId)
elseif A.now - tonumber(get_session(sessions_key, A.sessionId, A.now).createdAt) > A.maxAgeMs then
  return reply({ status = 'reauthenticate' })
end
if u.emailVerified ~= '1' then return reply({ status = 'unverified' }) end
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
  [FMT_LUA, GET_SESSION_LUA, AUTHENTICATE_LUA, CLEAR_REAUTH_LUA],
);

/** Passkey registration, step two: takes the live challenge (single use: a replay finds none). */
export const TAKE_PASSKEY_REGISTRATION_CHALLENGE = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
  },
  { status: 'unauthorized' | 'invalid' } | { status: 'ok'; challenge: string }
>(
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
  AUTHENTICATE_LUA,
);

/** Passkey registration, step three (after verification): stores the passkey unless its id is known. */
export const ADD_PASSKEY = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
    passkey: Record<string, unknown> & { id: string };
  },
  { status: 'ok' | 'unauthorized' | 'unverified' | 'duplicate' }
>(
  ['user_key', 'sessions_key', 'passkeys_key', 'events_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.passkeys(a.userId), k.events(a.userId)],
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
if u.emailVerified ~= '1' then return reply({ status = 'unverified' }) end
if redis.call('HEXISTS', passkeys_key, A.passkey.id) == 1 then return reply({ status = 'duplicate' }) end
redis.call('HSET', passkeys_key, A.passkey.id, cjson.encode(A.passkey))
append_event(events_key, { event = 'passkey_added', name = A.passkey.name }, A.now)
return reply({ status = 'ok' })
`,
  [AUTHENTICATE_LUA, APPEND_EVENT_LUA],
);

/** The caller's passkeys (read-only). */
export const LIST_PASSKEYS = /* @__PURE__ */ script<
  { userId: string; sessionId: string; now: number },
  // `passkeys`: the stored JSON of each (StoredPasskey), parsed by lib/passkeys/service.ts.
  { status: 'unauthorized' } | ({ status: 'ok'; passkeys: LuaList<string> } & SessionReadReply)
>(
  ['user_key', 'sessions_key', 'passkeys_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.passkeys(a.userId)],
  `
local u, s = read_session(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
return reply({ status = 'ok', passkeys = redis.call('HVALS', passkeys_key), lastUsedAt = s.lastUsedAt })
`,
  READ_SESSION_LUA,
  touchIfStale,
);

/** Deletes one of the caller's passkeys, after a re-entered password. */
export const DELETE_PASSKEY = /* @__PURE__ */ script<
  ReauthArgs & { passkeyId: string },
  ReauthRefusal | { status: 'ok' | 'not_found' }
>(
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
  [AUTHENTICATE_LUA, CLEAR_REAUTH_LUA, APPEND_EVENT_LUA, REAUTHENTICATED],
);

/** A passkey log-in's challenge, stored for 300 s before anyone is known. */
export const PASSKEY_LOGIN_OPTIONS = /* @__PURE__ */ script<
  { challenge: string; ttlMs: number },
  { status: 'ok' }
>(
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
export const TAKE_PASSKEY_LOGIN_CHALLENGE = /* @__PURE__ */ script<
  {
    userId: string;
    credentialId: string;
    challenge: string;
  },
  // `passkey`: its stored JSON (StoredPasskey), parsed by lib/passkeys/ceremonies.ts.
  { status: 'invalid' | 'unknown' } | { status: 'ok'; passkey: string }
>(
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
export const PASSKEY_LOGIN = /* @__PURE__ */ script<
  {
    userId: string;
    credentialId: string;
    counter: number;
    requireVerified: boolean;
    now: number;
    session: SessionArgs;
  },
  { status: 'unknown' | 'counter' | 'unverified' } | { status: 'ok'; user: PublicUserReply }
>(
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
-- As the password log-in: with REQUIRE_VERIFIED_EMAIL, an unproved address opens nothing.
if A.requireVerified and u.emailVerified ~= '1' then return reply({ status = 'unverified' }) end
p.counter = A.counter
p.lastUsedAt = fmt(A.now)
redis.call('HSET', passkeys_key, A.credentialId, cjson.encode(p))
append_event(events_key, { event = 'logged_in', method = 'passkey', userAgent = A.session.userAgent }, A.now)
create_session(sessions_key, A.session, A.now)
return reply({ status = 'ok', user = public_user(u) })
`,
  [HMAP_LUA, FMT_LUA, PUBLIC_USER_LUA, CREATE_SESSION_LUA, REFUSE_DISABLED_LUA, APPEND_EVENT_LUA],
);
