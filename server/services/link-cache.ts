import type { LRUCache } from "lru-cache";
import { lruOfAtMost } from "../bounded-lru.js";
import type { ImageChangeListener } from "../ports/image-store.js";

export interface LinkCacheOptions {
  /** Most entries kept; the least recently used go first. */
  readonly maxEntries: number;
  /** Longest an entry is kept, milliseconds: a backstop, not what keeps entries fresh (the feed does). */
  readonly ttlMs: number;
}

/**
 * What the public link serves, per image id, kept in this process so the hot path reads no Redis (issue 16). Only
 * answers the loader found (non-null) are kept: unknown, private and unprocessed ids are read every time, so an
 * image that appears or becomes servable is never hidden by a stale "no".
 *
 * Freshness comes from the image-changes feed: every change to an image record, on any node, drops its entry. While
 * the feed is down nothing is served from or kept in the cache, and it starts empty when the feed returns, since
 * changes made meanwhile were never announced. A read that overlaps a change is not kept either (the epoch): its
 * answer may predate the change whose announcement already went by.
 */
export class LinkCache<T extends object> implements ImageChangeListener {
  private readonly entries: LRUCache<string, T>;
  private epoch = 0;
  private live = false;

  constructor(options: LinkCacheOptions) {
    this.entries = lruOfAtMost(options.maxEntries, options.ttlMs);
  }

  async get(imageId: string, load: (imageId: string) => Promise<T | null>): Promise<T | null> {
    if (this.live) {
      const hit = this.entries.get(imageId);
      if (hit !== undefined) return hit;
    }
    const epoch = this.epoch;
    const value = await load(imageId);
    if (value !== null && this.live && epoch === this.epoch) this.entries.set(imageId, value);
    return value;
  }

  /**
   * The entry for `imageId` if this process holds one now, without loading anything: the redirect's fast path
   * (server/http/hot-link.ts) answers from it, and leaves misses to the full path, which loads and keeps them.
   */
  peek(imageId: string): T | undefined {
    return this.live ? this.entries.get(imageId) : undefined;
  }

  /** Entries held now (at most maxEntries). */
  get size(): number {
    return this.entries.size;
  }

  changed(imageId: string): void {
    this.epoch++;
    this.entries.delete(imageId);
  }

  lost(): void {
    this.live = false;
    this.forgetAll();
  }

  restored(): void {
    this.forgetAll();
    this.live = true;
  }

  private forgetAll(): void {
    this.epoch++;
    this.entries.clear();
  }
}
