import { inject } from "vitest";
import { connectRedis } from "../../server/redis/redis-client.js";
import { defineMetadataStoreContract } from "./metadata-store.js";

defineMetadataStoreContract("single Redis", async () => {
  const redis = await connectRedis({ mode: "single", url: inject("redisUrl") });
  return { redis, close: async () => void (await redis.quit()) };
});
