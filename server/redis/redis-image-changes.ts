import { Cluster } from "ioredis";
import type { ImageChangeListener } from "../ports/image-store.js";
import { redisKeys } from "./keys.js";
import type { RedisConnection } from "./redis-client.js";

/** Where changes to image records are announced (plain pub/sub: on Redis Cluster it reaches every node). */
const IMAGE_CHANGES_CHANNEL = "ih:changes:images";

/**
 * `lua`, a script whose KEYS[1] is an image record, made to announce its change itself: it publishes the image's id
 * after running, within the same atomic step as its write. A PUBLISH sent after the script's answer would be lost
 * if the writer stopped in between (killed, or its connection gone), and every other node would go on serving the
 * old record from its link cache until the entry's backstop expiry (minutes, not the second promised). Its answer
 * is the script's own.
 */
export function announcingChange(lua: string): string {
  const [prefix = "", suffix = ""] = redisKeys.image("<id>").split("<id>");
  return [
    "local function write()",
    lua,
    "end",
    "local answer = write()",
    `redis.call('PUBLISH', '${IMAGE_CHANGES_CHANNEL}', string.sub(KEYS[1], ${prefix.length + 1}, ${-(suffix.length + 1)}))`,
    "return answer",
  ].join("\n");
}

/**
 * The change feed behind ImageStore.watchChanges: every write to an image record is announced, to this process's
 * watchers at once (`tellWatchersHere`) and to every other node's through Redis pub/sub (by the write's own script:
 * `announcingChange`).
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
   * Tells this process's watchers that the image's record changed, once an `announcingChange` script has written it:
   * the script's own announcement reaches them through Redis too, but possibly after the caller's next request.
   */
  tellWatchersHere(imageId: string): void {
    for (const watcher of this.localWatchers) watcher.changed(imageId);
  }
}
