import { type LuaList, type SessionReadReply, script } from '../lua';
import {
  APPEND_EVENT_LUA,
  AUTHENTICATE_LUA,
  FMT_LUA,
  GET_SESSION_LUA,
  PUT_SESSION_LUA,
  READ_SESSION_LUA,
  REFUSE_DISABLED_LUA,
  REVOKE_SESSIONS_LUA,
} from '../lua-helpers';
import { touchIfStale } from './touch';

/**
 * Refresh-token rotation: the presented token is spent and a new one issued, once. A spent token
 * presented again is theft and revokes its session — unless it is the one spent last and comes
 * within the grace window: then it is a client racing itself (two tabs refreshing at once) and
 * only gets a 401. Once its successor has been used in turn, no window forgives it.
 */
export const REFRESH = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    presentedHash: string;
    newHash: string;
    now: number;
    ttlMs: number;
    graceMs: number;
    spentKept: number;
  },
  { status: 'ok' | 'invalid' | 'reused' | 'raced' }
>(
  ['sessions_key', 'user_key'],
  (k, a) => [k.sessions(a.userId), k.user(a.userId)],
  `
refuse_disabled(user_key)
local s = get_session(sessions_key, A.sessionId, A.now)
if not s then return reply({ status = 'invalid' }) end
if s.refreshHash == A.presentedHash then
  local spent = { { h = s.refreshHash, at = fmt(A.now) } }
  for i = 1, math.min(#s.spent, A.spentKept - 1) do spent[i + 1] = s.spent[i] end
  s.spent = spent
  s.refreshHash = A.newHash
  s.lastUsedAt = fmt(A.now)
  s.expiresAt = fmt(A.now + A.ttlMs)
  put_session(sessions_key, s, A.now)
  return reply({ status = 'ok' })
end
for i, entry in ipairs(s.spent) do
  if entry.h == A.presentedHash then
    if i == 1 and A.now - tonumber(entry.at) < A.graceMs then return reply({ status = 'raced' }) end
    redis.call('HDEL', sessions_key, A.sessionId)
    return reply({ status = 'reused' })
  end
end
return reply({ status = 'invalid' })
`,
  [FMT_LUA, GET_SESSION_LUA, PUT_SESSION_LUA, REFUSE_DISABLED_LUA],
);

/** Revoke one of the caller's sessions (log out, or a named one); any other id is 'not_found'. */
export const REVOKE_SESSION = /* @__PURE__ */ script<
  {
    userId: string;
    sessionId: string;
    now: number;
    targetSessionId: string;
  },
  { status: 'ok' | 'unauthorized' | 'not_found' }
>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
if not get_session(sessions_key, A.targetSessionId, A.now) then return reply({ status = 'not_found' }) end
redis.call('HDEL', sessions_key, A.targetSessionId)
return reply({ status = 'ok' })
`,
  [GET_SESSION_LUA, AUTHENTICATE_LUA],
);

/** Revoke every session of the caller, the current one included. */
export const REVOKE_ALL_SESSIONS = /* @__PURE__ */ script<
  { userId: string; sessionId: string; now: number },
  { status: 'unauthorized' } | { status: 'ok'; revoked: number }
>(
  ['user_key', 'sessions_key', 'events_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId), k.events(a.userId)],
  `
if not authenticate(user_key, sessions_key, A.sessionId, A.now) then return reply({ status = 'unauthorized' }) end
append_event(events_key, { event = 'sessions_revoked' }, A.now)
return reply({ status = 'ok', revoked = revoke_sessions(sessions_key, nil, A.now) })
`,
  [REVOKE_SESSIONS_LUA, AUTHENTICATE_LUA, APPEND_EVENT_LUA],
);

/** One live session as LIST_SESSIONS answers it: the stored strings (epoch ms as strings). */
export interface ListedSession {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string;
}

/** The caller's live sessions (read-only: dead ones are left out, and pruned by the next write; I4). */
export const LIST_SESSIONS = /* @__PURE__ */ script<
  { userId: string; sessionId: string; now: number },
  { status: 'unauthorized' } | ({ status: 'ok'; sessions: LuaList<ListedSession> } & SessionReadReply)
>(
  ['user_key', 'sessions_key'],
  (k, a) => [k.user(a.userId), k.sessions(a.userId)],
  `
local u, current = read_session(user_key, sessions_key, A.sessionId, A.now)
if not u then return reply({ status = 'unauthorized' }) end
local sessions = {}
local flat = redis.call('HGETALL', sessions_key)
for i = 1, #flat, 2 do
  local s = cjson.decode(flat[i + 1])
  if tonumber(s.expiresAt) > A.now then
    table.insert(sessions, { id = s.id, createdAt = s.createdAt, lastUsedAt = s.lastUsedAt,
      expiresAt = s.expiresAt, userAgent = s.userAgent })
  end
end
return reply({ status = 'ok', sessions = sessions, lastUsedAt = current.lastUsedAt })
`,
  READ_SESSION_LUA,
  touchIfStale,
);
