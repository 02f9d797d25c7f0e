import type { Keys } from '../keys';
import { PROVIDER_IDS } from './config';

// Kept apart from lib/oauth/scripts.ts so that lib/scripts.ts (account deletion) can drop a
// user's identities without importing the module that imports it.

/** Every provider's index key, in PROVIDER_IDS order: scripts that drop identities declare them all. */
export const indexKeys = (k: Keys) => PROVIDER_IDS.map((p) => k.identityIndex(p));

// Lua shared by the scripts that remove identities: the index keys come last in KEYS, in
// PROVIDER_IDS order (A.providers names them).
export const IDENTITY_HELPERS = `
local function index_of(provider)
  for i, p in ipairs(A.providers) do
    -- The index keys are the last #A.providers of KEYS, whatever comes before them.
    if p == provider then return KEYS[#KEYS - #A.providers + i] end
  end
  return nil
end
-- Drops every identity of a user, and their index entries (account deletion, reclaim).
local function drop_identities(identities_key, user_id)
  for _, raw in ipairs(redis.call('HVALS', identities_key)) do
    local id = cjson.decode(raw)
    local index_key = index_of(id.provider)
    if index_key and redis.call('HGET', index_key, id.subject) == user_id then
      redis.call('HDEL', index_key, id.subject)
    end
  end
  redis.call('DEL', identities_key)
end
`;

/**
 * The arguments IDENTITY_HELPERS needs: the providers, in the order of their index keys, and where
 * in KEYS those keys start. (Named exports, not an object: a bundle that runs no such script
 * drops them all.)
 */
export const identityCleanupArgs = (indexAt: number) => ({ providers: [...PROVIDER_IDS], indexAt });
