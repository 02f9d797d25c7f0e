import { FMT_LUA, script } from '../scripts';

/** Whom a notice goes to: the account's current address and name; 'gone' when it was deleted meanwhile. */
export const NOTICE_CONTACT = /* @__PURE__ */ script<
  { userId: string },
  { status: 'gone' } | { status: 'ok'; email: string; name: string }
>(
  ['user_key'],
  (k, a) => [k.user(a.userId)],
  `
local u = redis.call('HMGET', user_key, 'email', 'name')
if not u[1] then return reply({ status = 'gone' }) end
return reply({ status = 'ok', email = u[1], name = u[2] })
`,
);

/**
 * Remembers the device of a sign-in (devices:<uid>: digest → last sign-in, epoch ms; at most
 * A.kept devices, the least recent forgotten). Answers whether it is news: the account had signed
 * in before, never from this device. Also whom to tell.
 */
export const REMEMBER_DEVICE = /* @__PURE__ */ script<
  {
    userId: string;
    device: string;
    now: number;
    kept: number;
  },
  { status: 'gone' } | { status: 'ok'; news: boolean; email: string; name: string }
>(
  ['user_key', 'devices_key'],
  (k, a) => [k.user(a.userId), k.devices(a.userId)],
  `
local u = redis.call('HMGET', user_key, 'email', 'name')
if not u[1] then return reply({ status = 'gone' }) end
local known = redis.call('HLEN', devices_key)
local added = redis.call('HSET', devices_key, A.device, fmt(A.now)) == 1
if added and known >= A.kept then
  local flat = redis.call('HGETALL', devices_key)
  local oldest, at = nil, nil
  for i = 1, #flat, 2 do
    if flat[i] ~= A.device and (at == nil or tonumber(flat[i + 1]) < at) then oldest, at = flat[i], tonumber(flat[i + 1]) end
  end
  if oldest then redis.call('HDEL', devices_key, oldest) end
end
return reply({ status = 'ok', news = added and known > 0, email = u[1], name = u[2] })
`,
  FMT_LUA,
);
