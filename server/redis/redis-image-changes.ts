import { Cluster } from "ioredis";
import type { ImageChangeListener } from "../ports/image-store.js";
import type { RedisConnection } from "./redis-client.js";

/** Where changes to image records are announced (plain pub/sub: on Redis Cluster it reaches every node). */
const IMAGE_CHANGES_CHANNEL = "ih:changes:images";

/**
 * The change feed behind ImageStore.watchChanges: every write to an image record is announced, to this process's
 * watchers at once and to every other node's through Redis pub/sub.
 */
export class RedisImageChanges {
  /** This process's watchers: told of its own changes at once, before the write's caller hears back. */
  private readonly localWatchers = new Set<ImageChangeListener>();

  constructor(private readonly redis: RedisConnection) {}

  async watch(listener: ImageChangeListener): Promise<() => Promise<void>> {
    // Its own connection: a subscribed connection can run nothing else. Subscribing again on every (re)connect
    // ourselves, so "restored" is said only once the SUBSCRIBE has been answered.
    const own = { autoResubscribe: false, enableOfflineQueue: true } as const;
    const subscriber: RedisConnection =
      this.redis instanceof Cluster
        ? this.redis.duplicate(undefined, { redisOptions: { ...this.redis.options.redisOptions, ...own } })
        : this.redis.duplicate(own);
    subscriber.on("error", () => {});
    subscriber.on("message", (channel: string, imageId: string) => {
      if (channel === IMAGE_CHANGES_CHANNEL) listener.changed(imageId);
    });
    subscriber.on("close", () => listener.lost());
    const subscribed = new Promise<void>((resolve) => {
      subscriber.on("ready", () => {
        subscriber.subscribe(IMAGE_CHANGES_CHANNEL).then(
          () => {
            listener.restored();
            resolve();
          },
          () => subscriber.disconnect(true),
        );
      });
    });
    if (subscriber.status === "wait") await subscriber.connect();
    await subscribed;
    this.localWatchers.add(listener);
    return async () => {
      this.localWatchers.delete(listener);
      subscriber.removeAllListeners("close");
      listener.lost();
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }

  /**
   * Tells every node's watchers (see watch) that this image's record changed: this process's at once (the echo
   * through Redis could arrive after the caller's next request), the others' through Redis.
   */
  async announce(imageId: string): Promise<void> {
    for (const watcher of this.localWatchers) watcher.changed(imageId);
    await this.redis.publish(IMAGE_CHANGES_CHANNEL, imageId);
  }
}
