import { createHash } from "node:crypto";
import type { RedisConnection } from "./redis-client.js";

/** Lua scripts shared by the Redis stores. Each touches keys of one hash slot only (see keys.ts). */

/** KEYS[1] hash; ARGV field/value pairs. Creates the hash only when the key is absent; returns 1 if it did. */
export const CREATE_HASH_IF_ABSENT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

type ScriptCommand = (numberOfKeys: number, ...args: (string | number)[]) => Promise<unknown>;

const commandNames = new Map<string, string>();

/**
 * Runs `lua` as `EVAL lua numberOfKeys ...args` would, but as a command registered once per connection with
 * ioredis `defineCommand`: each socket is sent the script in full once, then only its SHA1 (`EVALSHA`), and in
 * full again after a `NOSCRIPT` (a restarted or failed-over node). The same on a single Redis and on Cluster, where
 * every node's socket loads it on first use.
 */
export function runScript(
  redis: RedisConnection,
  lua: string,
  numberOfKeys: number,
  ...args: (string | number)[]
): Promise<unknown> {
  const name = commandNameOf(lua);
  const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
  let command = commands[name];
  if (command === undefined) {
    // Without `numberOfKeys` in the definition, the caller passes it first, as to EVAL.
    redis.defineCommand(name, { lua });
    command = commands[name] as ScriptCommand;
  }
  return command.call(redis, numberOfKeys, ...args);
}

/** A command name per script text, so two stores using the same script share one registration. */
function commandNameOf(lua: string): string {
  let name = commandNames.get(lua);
  if (name === undefined) {
    name = `imagehostScript_${createHash("sha1").update(lua).digest("hex")}`;
    commandNames.set(lua, name);
  }
  return name;
}
