import { Redis } from "ioredis";
import type { Config } from "../config.js";
import { DependencyUnavailableError } from "../errors.js";
import type { ImageEvent, ImageEventFeed, ImageEventPublisher } from "../ports/image-events.js";
import { redisKeys } from "./keys.js";
import type { RedisConnection } from "./redis-client.js";

/**
 * Publishes on the user's channel with plain PUBLISH. On Redis Cluster a PUBLISH reaches the subscribers of every
 * node, so one subscriber connection per app node, to any cluster node, hears everything. (Sharded SPUBLISH would
 * scale further, at the cost of one subscriber per shard; the channel name already carries the hash tag for it.)
 */
export class RedisImageEventPublisher implements ImageEventPublisher {
  constructor(private readonly redis: RedisConnection) {}

  async publish(event: ImageEvent): Promise<void> {
    await this.redis.publish(redisKeys.userEvents(event.ownerId), JSON.stringify(event));
  }
}

/** How soon a lost subscriber connection is tried again, and the longest wait between tries. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 1000;

/**
 * One node's subscriber connection, shared by every subscription on the node: a channel is SUBSCRIBEd while at
 * least one local listener wants it. ioredis's own reconnect-and-resubscribe is off on purpose: it would hide an
 * outage, and the events published meanwhile are gone, so listeners are dropped and told (`onLost`) instead and
 * the connection comes back empty. On Cluster it tries the listed nodes in turn.
 */
export class RedisImageEventFeed implements ImageEventFeed {
  private connection: Redis | null = null;
  private readonly channels = new Map<string, { listeners: Set<(event: ImageEvent) => void>; ready: Promise<void> }>();
  private readonly lostHandlers: (() => void)[] = [];
  private closed = false;
  private nextTarget = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;

  private constructor(private readonly targets: readonly { host: string; port: number }[] | string) {}

  /** Connects (throws when Redis cannot be reached at start). */
  static async connect(redis: Config["redis"]): Promise<RedisImageEventFeed> {
    const feed = new RedisImageEventFeed(redis.mode === "single" ? redis.url : redis.nodes);
    await feed.open();
    return feed;
  }

  async listen(userId: string, listener: (event: ImageEvent) => void): Promise<() => void> {
    const connection = this.connection;
    if (!connection || connection.status !== "ready") throw new DependencyUnavailableError("redis");
    const channel = redisKeys.userEvents(userId);
    let entry = this.channels.get(channel);
    if (!entry) {
      const created = {
        listeners: new Set<(event: ImageEvent) => void>(),
        ready: connection.subscribe(channel).then(() => undefined),
      };
      entry = created;
      this.channels.set(channel, created);
      created.ready.catch(() => {
        if (this.channels.get(channel) === created) this.channels.delete(channel);
      });
    }
    entry.listeners.add(listener);
    try {
      await entry.ready;
    } catch (error) {
      entry.listeners.delete(listener);
      throw new DependencyUnavailableError("redis", { cause: error });
    }
    const joined = entry;
    return () => {
      if (!joined.listeners.delete(listener) || joined.listeners.size > 0) return;
      if (this.channels.get(channel) !== joined) return;
      this.channels.delete(channel);
      // Best effort: after a loss the connection is new and never had this channel.
      if (connection === this.connection) connection.unsubscribe(channel).catch(() => {});
    };
  }

  onLost(handler: () => void): void {
    this.lostHandlers.push(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const connection = this.connection;
    this.connection = null;
    this.channels.clear();
    if (connection) await connection.quit().catch(() => connection.disconnect());
  }

  /** Connects to the next target; on Cluster every node hears every PUBLISH, so any node will do. */
  private async open(): Promise<void> {
    const attempts = typeof this.targets === "string" ? 1 : this.targets.length;
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      const target = typeof this.targets === "string" ? this.targets : this.targets[this.nextTarget++ % attempts]!;
      const connection =
        typeof target === "string"
          ? new Redis(target, subscriberOptions)
          : new Redis({ ...subscriberOptions, host: target.host, port: target.port });
      connection.on("error", () => {});
      try {
        await connection.connect();
      } catch (error) {
        lastError = error;
        connection.disconnect();
        continue;
      }
      if (this.closed) {
        connection.disconnect();
        return;
      }
      this.connection = connection;
      connection.on("message", (channel: string, message: string) => this.deliver(channel, message));
      connection.once("close", () => this.lost(connection));
      return;
    }
    throw new DependencyUnavailableError("redis", { cause: lastError });
  }

  private deliver(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    let event: ImageEvent;
    try {
      event = JSON.parse(message) as ImageEvent;
    } catch {
      return;
    }
    // Only the owner's channel carries an event; a message that says otherwise is not delivered to anyone.
    if (redisKeys.userEvents(event.ownerId) !== channel) return;
    for (const listener of [...entry.listeners]) listener(event);
  }

  private lost(connection: Redis): void {
    if (connection !== this.connection) return;
    this.connection = null;
    connection.disconnect();
    this.channels.clear();
    if (this.closed) return;
    for (const handler of this.lostHandlers) handler();
    this.scheduleReconnect(RECONNECT_FIRST_MS);
  }

  private scheduleReconnect(delayMs: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closed) return;
      this.open().catch(() => this.scheduleReconnect(Math.min(delayMs * 2, RECONNECT_MAX_MS)));
    }, delayMs);
    this.reconnectTimer.unref();
  }
}

const subscriberOptions = {
  lazyConnect: true,
  connectTimeout: 2000,
  enableOfflineQueue: false,
  autoResubscribe: false,
  // This class reconnects itself (to the next node on Cluster).
  retryStrategy: () => null,
  maxRetriesPerRequest: 1,
} as const;
