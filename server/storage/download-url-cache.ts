import { lruOfAtMost } from "../bounded-lru.js";
import type { BlobStore } from "../ports/blob-store.js";

/** A cached URL is handed out only while it stays valid at least this long, so a client can still follow it. */
const MIN_REMAINING_MS = 5 * 60_000;

/** Whether a download URL (expiresAt: epoch ms, null = never) may still be handed out at `now`. */
export function stillFresh(expiresAt: number | null, now = Date.now()): boolean {
  return expiresAt === null || expiresAt - now > MIN_REMAINING_MS;
}

/**
 * Caches `downloadUrl` results per key so the public redirect does no signing work per request (the hot path is
 * one Redis read). Safe across nodes and deletes: callers check the image record in Redis before asking, so a
 * cached URL is never handed out for a deleted image. Bounded: the least recently used entries go first.
 */
export function withCachedDownloadUrls<T extends BlobStore>(store: T, maxEntries = 10_000): T {
  // Promises, not results: concurrent first requests for one key share one signing. Failures are not kept.
  const cache = lruOfAtMost<string, Promise<{ url: string; expiresAt: number | null }>>(maxEntries);
  const downloadUrl: BlobStore["downloadUrl"] = async (key, contentType) => {
    const pending = cache.get(key);
    if (pending) {
      const hit = await pending.catch(() => null);
      if (hit && stillFresh(hit.expiresAt)) return hit;
      if (cache.peek(key) !== pending) return downloadUrl(key, contentType); // another request refreshed it
    }
    const fresh = store.downloadUrl(key, contentType);
    cache.set(key, fresh);
    fresh.catch(() => {
      if (cache.peek(key) === fresh) cache.delete(key);
    });
    return fresh;
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "downloadUrl") return downloadUrl;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
