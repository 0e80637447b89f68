import type { RedisConnection } from "../../server/redis/redis-client.js";
import { RedisAccountStore } from "../../server/redis/redis-account-store.js";
import { RedisAlbumStore } from "../../server/redis/redis-album-store.js";
import { RedisImageStore } from "../../server/redis/redis-image-store.js";
import { RedisInviteStore } from "../../server/redis/redis-invite-store.js";
import { RedisRateLimitStore } from "../../server/redis/redis-rate-limit-store.js";
import { RedisUserDirectory } from "../../server/redis/redis-user-directory.js";
import type { MetadataStoreHarness } from "./metadata-store.js";

/** The Redis adapters of every metadata port, on one connection (single Redis or Cluster), for the contracts. */
export async function openRedisMetadataStores(
  connect: () => Promise<{ redis: RedisConnection; close: () => Promise<void> }>,
): Promise<MetadataStoreHarness> {
  const { redis, close } = await connect();
  return {
    stores: {
      accounts: new RedisAccountStore(redis),
      images: new RedisImageStore(redis),
      limits: new RedisRateLimitStore(redis),
      invites: new RedisInviteStore(redis),
      users: new RedisUserDirectory(redis),
      albums: new RedisAlbumStore(redis),
    },
    close,
  };
}
