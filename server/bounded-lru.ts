import { LRUCache } from "lru-cache";

/**
 * An LRU cache of at most `maxEntries` entries (the least recently used go first) whose memory grows with what it
 * holds. Given `max`, lru-cache allocates its arrays for every entry up front (1.9 MB for 50,000 entries in every
 * server, issue 16); bounded through `maxSize` with each entry weighing 1, the bound and the order are the same.
 */
export function lruOfAtMost<K extends string, V extends object>(maxEntries: number, ttlMs?: number): LRUCache<K, V> {
  return new LRUCache<K, V>({ maxSize: maxEntries, sizeCalculation: () => 1, ttl: ttlMs });
}
