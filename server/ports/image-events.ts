import type { ImageRecord } from "./image-store.js";

/** What happened to an image. READY and FAILED come from the image pipeline; CREATED and DELETED from uploads. */
export type ImageEventKind = "CREATED" | "READY" | "FAILED" | "DELETED";

/** One event about one image, delivered only to the image's owner. */
export interface ImageEvent {
  kind: ImageEventKind;
  imageId: string;
  /** Who may receive it: the image's owner, and nobody else. */
  ownerId: string;
  /** The image as it is after the event; null for DELETED. */
  image: ImageRecord | null;
  /** When it happened, milliseconds since epoch. */
  at: number;
}

/**
 * The event bus, publishing half: the service layer announces what it did. Implemented by
 * `server/redis/redis-image-events.ts` (Redis pub/sub, so every node's subscribers hear it). Delivery is at most
 * once: there is no replay, and a client that reconnects refetches what it shows.
 */
export interface ImageEventPublisher {
  /** Throws `DependencyUnavailableError("redis")` when the bus cannot be reached. */
  publish(event: ImageEvent): Promise<void>;
}

/** The event bus, listening half, as one node sees it. */
export interface ImageEventFeed {
  /**
   * Listens to one user's events. Resolves once the bus delivers them (SUBSCRIBE confirmed), so an event
   * published after it resolves reaches `listener`; the returned function stops listening. Throws
   * `DependencyUnavailableError("redis")` while the bus is unreachable.
   */
  listen(userId: string, listener: (event: ImageEvent) => void): Promise<() => void>;
  /**
   * Called when the bus connection is lost: every listener has been dropped and will hear nothing more (events
   * in between are gone). Listening again works once the bus is back.
   */
  onLost(handler: () => void): void;
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}
