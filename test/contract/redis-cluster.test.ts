import { connectRedis } from "../../server/redis/redis-client.js";
import { startTestRedisCluster } from "../support/redis-cluster.js";
import { defineMetadataStoreContract } from "./metadata-store.js";

defineMetadataStoreContract("Redis Cluster (3 masters)", async () => {
  const cluster = await startTestRedisCluster();
  const nodes = cluster.ports.map((port) => ({ host: "127.0.0.1", port }));
  const redis = await connectRedis({ mode: "cluster", nodes });
  return {
    redis,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
      await cluster.destroy();
    },
  };
});
