import { Cluster, Redis } from "ioredis";
import type { Config } from "../config.js";

export type RedisConnection = Redis | Cluster;

/**
 * Commands issued in the same tick go out as one pipeline (auto-pipelining): a page's records, read concurrently,
 * cost one round trip (on Cluster, one per node), not one each.
 *
 * Connects with request-path settings (SEC-14): a command fails after 2 s instead of hanging, nothing queues while
 * the connection is down (requests answer 503 at once), and reconnects keep trying every second at most so the
 * service recovers by itself soon after Redis returns.
 */
export async function connectRedis(redis: Config["redis"]): Promise<RedisConnection> {
  const retryStrategy = (attempt: number) => Math.min(100 * attempt, 1000);
  const perNode = { commandTimeout: 2000, connectTimeout: 2000, maxRetriesPerRequest: 1 } as const;
  const connection: RedisConnection =
    redis.mode === "cluster"
      ? new Cluster([...redis.nodes], {
          clusterRetryStrategy: retryStrategy,
          redisOptions: perNode,
          // The cluster client queues while it (re)discovers slots; commandTimeout still bounds every wait.
          enableOfflineQueue: true,
          enableAutoPipelining: true,
          lazyConnect: true,
        })
      : new Redis(redis.url, {
          ...perNode,
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          lazyConnect: true,
          retryStrategy,
        });
  // Without a listener ioredis reports every failed reconnect on stderr as an unhandled 'error' event.
  connection.on("error", () => {});
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    throw error;
  }
  return connection;
}
