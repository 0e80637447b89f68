import { createHash } from "node:crypto";
import type { RedisConnection } from "./redis-client.js";

/** Lua scripts shared by the Redis stores. Each touches keys of one hash slot only (see keys.ts). */

/** KEYS[1] hash; ARGV field/value pairs. Creates the hash only when the key is absent; returns 1 if it did. */
export const CREATE_HASH_IF_ABSENT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

const shas = new Map<string, string>();

/**
 * Runs `lua` as `EVAL lua numberOfKeys ...args` would, sending only its SHA1 (`EVALSHA`) once the node has it: the
 * script goes in full on the first call a node sees, and again after a `NOSCRIPT` (a restarted or failed-over node).
 * The same on a single Redis and on Cluster (EVALSHA is routed by its keys like EVAL). Plain commands rather than
 * ioredis `defineCommand`: a command defined after an auto-pipeline was opened is missing from that pipeline
 * ("pipeline[name] is not a function" under concurrent first calls), while EVALSHA is on every pipeline.
 */
export async function runScript(
  redis: RedisConnection,
  lua: string,
  numberOfKeys: number,
  ...args: (string | number)[]
): Promise<unknown> {
  try {
    return await redis.evalsha(shaOf(lua), numberOfKeys, ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
    return redis.eval(lua, numberOfKeys, ...args);
  }
}

function shaOf(lua: string): string {
  let sha = shas.get(lua);
  if (sha === undefined) {
    sha = createHash("sha1").update(lua).digest("hex");
    shas.set(lua, sha);
  }
  return sha;
}
