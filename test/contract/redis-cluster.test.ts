import { afterAll } from "vitest";
import { connectRedis, type RedisConnection } from "../../server/redis/redis-client.js";
import { startTestRedisCluster } from "../support/redis-cluster.js";
import { defineAlbumStoreContract } from "./album-store.js";
import { defineMetadataStoreContract } from "./metadata-store.js";
import { openRedisMetadataStores } from "./redis-metadata-stores.js";

// One cluster for both contracts (starting one takes seconds), stopped after both.
let shared: Promise<{ redis: RedisConnection; destroy: () => Promise<void> }> | undefined;
afterAll(async () => {
  await (await shared)?.destroy();
});
const connect = async () => {
  shared ??= (async () => {
    const cluster = await startTestRedisCluster();
    const nodes = cluster.ports.map((port) => ({ host: "127.0.0.1", port }));
    const redis = await connectRedis({ mode: "cluster", nodes });
    return {
      redis,
      destroy: async () => {
        await redis.quit().catch(() => redis.disconnect());
        await cluster.destroy();
      },
    };
  })();
  return { redis: (await shared).redis, close: async () => undefined };
};
defineMetadataStoreContract("Redis Cluster (3 masters)", () => openRedisMetadataStores(connect));
defineAlbumStoreContract("Redis Cluster (3 masters)", () => openRedisMetadataStores(connect));
