import type { Keys } from '../keys';
import type { Script } from '../scripts';

/**
 * The one write an authenticated read may cause: the session's `lastUsedAt`, set to `now` when
 * the read found it older than SESSION_TOUCH_SECONDS (lib/sessions/touch.ts). Only the session's
 * own record changes, and only while it is alive: a session revoked or rotated meanwhile is never
 * brought back, and a later time already written is never moved back. Declares its one key.
 */
export const TOUCH_SESSION: Script<
  { userId: string; sessionId: string; now: number },
  { status: 'ok' | 'gone' }
> = {
  lua: `#!lua flags=allow-key-locking
local sessions_key = KEYS[1]
local A = cjson.decode(ARGV[1])
local raw = redis.call('HGET', sessions_key, A.sessionId)
if not raw then return cjson.encode({ status = 'gone' }) end
local s = cjson.decode(raw)
if tonumber(s.expiresAt) <= A.now then return cjson.encode({ status = 'gone' }) end
if tonumber(s.lastUsedAt) >= A.now then return cjson.encode({ status = 'ok' }) end
s.lastUsedAt = string.format('%.0f', A.now)
redis.call('HSET', sessions_key, A.sessionId, cjson.encode(s))
return cjson.encode({ status = 'ok' })
`,
  encode: (keys: Keys, args) => ({ keys: [keys.sessions(args.userId)], argv: [JSON.stringify(args)] }),
};
