/** Lua scripts shared by the Redis stores. Each touches keys of one hash slot only (see keys.ts). */

/** KEYS[1] hash; ARGV field/value pairs. Creates the hash only when the key is absent; returns 1 if it did. */
export const CREATE_HASH_IF_ABSENT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;
