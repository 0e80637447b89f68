import type { TicketOpening } from "../ports/image-store.js";
import { RECORD_FIELDS } from "./image-record-fields.js";

/**
 * The Lua scripts of RedisImageStore, run through runScript (scripts.ts). Each touches keys of one user's or one
 * image's hash slot only (see keys.ts), so they run unchanged on Redis Cluster.
 */

/**
 * KEYS: tickets zset, ticket hash, usage hash. ARGV: now, maxOpen, uploadId, expiresAt, quotaImages, quotaBytes,
 * field/value pairs… Live tickets reserve one image and their maxBytes each (their hashes share the user's slot).
 * Returns 1 opened, 0 too many open, -1 image quota, -2 byte quota.
 */
export const OPEN_TICKET = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local open = redis.call('ZRANGE', KEYS[1], 0, -1)
if #open >= tonumber(ARGV[2]) then return 0 end
local usage = redis.call('HMGET', KEYS[3], 'images', 'bytes')
if tonumber(usage[1] or '0') + #open + 1 > tonumber(ARGV[5]) then return -1 end
local prefix = string.sub(KEYS[2], 1, #KEYS[2] - #ARGV[3])
local reserved = 0
for _, id in ipairs(open) do
  reserved = reserved + tonumber(redis.call('HGET', prefix .. id, 'maxBytes') or '0')
end
local fields = {unpack(ARGV, 7)}
local wanted = 0
for i = 1, #fields, 2 do if fields[i] == 'maxBytes' then wanted = tonumber(fields[i + 1]) end end
if tonumber(usage[2] or '0') + reserved + wanted > tonumber(ARGV[6]) then return -2 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('PEXPIREAT', KEYS[2], ARGV[4])
return 1`;

export const OPENINGS: Record<string, TicketOpening> = {
  "1": "opened",
  "0": "too-many-open",
  "-1": "image-quota",
  "-2": "byte-quota",
};

/** KEYS: images zset, usage hash, tickets zset, ticket hash. ARGV: createdAt, imageId, size. Counts once. */
export const LIST_IMAGE = `
if redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'images', 1)
  redis.call('HINCRBY', KEYS[2], 'bytes', ARGV[3])
end
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[4])
return 1`;

/** KEYS: images zset, usage hash. ARGV: imageId, size. Uncounts once. */
export const UNLIST_IMAGE = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'images', -1)
  redis.call('HINCRBY', KEYS[2], 'bytes', -tonumber(ARGV[2]))
end
return 1`;

/**
 * KEYS: image hash. ARGV: expected processing states (comma-separated, "-" = none), field/value pairs… Sets the
 * fields only on a live image in one of those states; returns 1 if it did.
 */
export const SET_IF_PROCESSING_STATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local fields = redis.call('HMGET', KEYS[1], 'status', 'pstatus')
if fields[1] ~= 'live' then return 0 end
local state = fields[2] or '-'
if state == '' then state = '-' end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == state then allowed = true end end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1`;

/** KEYS: image hash. ARGV: visibility. Sets it only on a live image; returns 1 if it did. */
export const SET_VISIBILITY_IF_LIVE =
  "if redis.call('HGET', KEYS[1], 'status') ~= 'live' then return 0 end redis.call('HSET', KEYS[1], 'visibility', ARGV[1]) return 1";

/** KEYS: image hash. Removes the record (a script so that it can announce the removal: announcingChange). */
export const DELETE_RECORD = "redis.call('DEL', KEYS[1]) return 1";

/** KEYS: image hash. Marks an existing record as being deleted (HSET on a missing key would create a stub). */
export const MARK_DELETING_IF_EXISTS =
  "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'status', 'deleting') end return 1";

/**
 * KEYS: image hash. The values of RECORD_FIELDS, in that order, as one JSON array (a string; false for a field the
 * hash lacks, all false when there is no record). A page of records then costs the client one reply string to
 * decode per record instead of one per field, or two with HGETALL (decoding 20 HGETALL replies was a third of a
 * listing's CPU, issue 16); field names are neither sent nor returned. cjson encodes every value as a string.
 */
export const READ_RECORD_AS_JSON = `return cjson.encode(redis.call('HMGET', KEYS[1], ${RECORD_FIELDS.map((f) => `'${f}'`).join(", ")}))`;
