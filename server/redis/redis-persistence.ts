import { Redis } from "ioredis";

/** What a Redis keeps on disk, from `CONFIG GET`; `null` when the server does not let us ask (ACL, renamed). */
export interface RedisPersistence {
  readonly appendOnly: boolean;
  /** RDB snapshot rules, e.g. "3600 1 300 100"; empty when snapshots are off. */
  readonly savePoints: string;
}

/**
 * Asks the Redis at `host:port` how it persists, on a short connection of its own (start-up diagnostics only, so
 * the request-path connection's settings do not matter here). Connection problems propagate: the caller is about to
 * connect for real and will report them.
 */
export async function inspectRedisPersistence(redisUrl: string): Promise<RedisPersistence | null> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    const [appendOnly, save] = await Promise.all([
      redis.config("GET", "appendonly") as Promise<string[]>,
      redis.config("GET", "save") as Promise<string[]>,
    ]);
    if (appendOnly[1] === undefined || save[1] === undefined) return null;
    return { appendOnly: appendOnly[1] === "yes", savePoints: save[1].trim() };
  } catch (error) {
    // NOPERM (ACL) or ERR unknown command (CONFIG renamed away): the server does not say; anything else is real.
    if (error instanceof Error && /NOPERM|unknown command/i.test(error.message)) return null;
    throw error;
  } finally {
    redis.disconnect();
  }
}

/** "AOF on", "RDB snapshots (3600 1 300 100)", or null when nothing is kept on disk. */
export function describePersistence(persistence: RedisPersistence): string | null {
  const kinds: string[] = [];
  if (persistence.appendOnly) kinds.push("AOF on");
  if (persistence.savePoints !== "") kinds.push(`RDB snapshots (save ${persistence.savePoints})`);
  return kinds.length > 0 ? kinds.join(", ") : null;
}

/** `host:port` of a Redis URL, never its password. */
export function redisAddress(redisUrl: string): string {
  const url = new URL(redisUrl);
  return `${url.hostname || "127.0.0.1"}:${url.port || 6379}`;
}
