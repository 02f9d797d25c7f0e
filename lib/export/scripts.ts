import {
  AUTHENTICATE_LUA,
  HMAP_LUA,
  type LuaList,
  PUBLIC_USER_LUA,
  type PublicUserReply,
  script,
} from '../scripts';

/** What `account_data` answers: the stored strings of each part (epoch ms as strings). */
export interface AccountDataReply {
  status: 'ok';
  user: PublicUserReply & { disabledAt?: string; disabledReason?: string };
  sessions: LuaList<{
    id: string;
    createdAt: string;
    lastUsedAt: string;
    expiresAt: string;
    userAgent: string;
  }>;
  passkeys: LuaList<{ id: string; name: string; createdAt: string; lastUsedAt?: string }>;
  totpEnabled: boolean;
  totpEnabledAt?: string;
  recoveryCodesLeft: number;
  /** The account's audit events, newest first, each its stored JSON ({event, at, …}). */
  events: LuaList<string>;
}

// Everything an account's export shows, read in one step: the user's public fields, its live
// sessions (never a refresh-token hash), its passkeys (never the public key or counter), its
// second factors (never the secret or a recovery-code hash) and its audit events. Keys in the
// same order for both scripts below.
const KEY_NAMES = ['user_key', 'sessions_key', 'mfa_key', 'passkeys_key', 'events_key'];
const keysOf = (k: import('../keys').Keys, a: { userId: string }): string[] => [
  k.user(a.userId),
  k.sessions(a.userId),
  k.mfa(a.userId),
  k.passkeys(a.userId),
  k.events(a.userId),
];

const READ = `
local function account_data(u)
  local sessions = {}
  local flat = redis.call('HGETALL', sessions_key)
  for i = 1, #flat, 2 do
    local s = cjson.decode(flat[i + 1])
    if tonumber(s.expiresAt) > A.now then
      table.insert(sessions, { id = s.id, createdAt = s.createdAt, lastUsedAt = s.lastUsedAt,
        expiresAt = s.expiresAt, userAgent = s.userAgent })
    end
  end
  local passkeys = {}
  for _, raw in ipairs(redis.call('HVALS', passkeys_key)) do
    local p = cjson.decode(raw)
    table.insert(passkeys, { id = p.id, name = p.name, createdAt = p.createdAt, lastUsedAt = p.lastUsedAt })
  end
  local m = redis.call('HMGET', mfa_key, 'secret', 'enabledAt', 'codes')
  local codes = cjson.decode(m[3] or '[]')
  local user = public_user(u)
  user.disabledAt = u.disabledAt
  user.disabledReason = u.disabledReason
  return { status = 'ok', user = user, sessions = sessions, passkeys = passkeys,
    totpEnabled = m[1] ~= false and m[1] ~= nil, totpEnabledAt = m[2] or nil, recoveryCodesLeft = #codes,
    events = redis.call('LRANGE', events_key, 0, -1) }
end
`;

/** The caller's own data (GET /users/me/export): the session check, then the read. */
export const EXPORT_OWN = /* @__PURE__ */ script<
  { userId: string; sessionId: string; now: number },
  { status: 'unauthorized' } | AccountDataReply
>(
  KEY_NAMES,
  keysOf,
  `
local u = authenticate(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
return reply(account_data(u))
`,
  [PUBLIC_USER_LUA, AUTHENTICATE_LUA, READ],
);

/** An account's data for an operator (`npm run admin -- export`): no session, the user must exist. */
export const EXPORT_ACCOUNT = /* @__PURE__ */ script<
  { userId: string; now: number },
  { status: 'not_found' } | AccountDataReply
>(
  KEY_NAMES,
  keysOf,
  `
local u = hmap(user_key)
if not u.id then return reply({ status = 'not_found' }) end
return reply(account_data(u))
`,
  [HMAP_LUA, PUBLIC_USER_LUA, READ],
);
