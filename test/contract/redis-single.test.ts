import { inject } from "vitest";
import { connectRedis } from "../../server/redis/redis-client.js";
import { defineAlbumStoreContract } from "./album-store.js";
import { defineMetadataStoreContract } from "./metadata-store.js";
import { openRedisMetadataStores } from "./redis-metadata-stores.js";

const connect = async () => {
  const redis = await connectRedis({ mode: "single", url: inject("redisUrl") });
  return { redis, close: async () => void (await redis.quit()) };
};
defineMetadataStoreContract("single Redis", () => openRedisMetadataStores(connect));
defineAlbumStoreContract("single Redis", () => openRedisMetadataStores(connect));
