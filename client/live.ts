import { type Client, createClient } from "graphql-ws";
import { ImageHostError, fromGraphQLErrors } from "./errors.js";
import type { ImageEventsSubscription } from "./generated/graphql.js";
import { ImageEventsDocument } from "./generated/sdk.js";

export type ImageEvent = ImageEventsSubscription["imageEvents"];

/** What `subscribe` calls back with. */
export interface SubscribeHandlers<TData> {
  /** One result per event. */
  onData(data: TData): void;
  /**
   * The subscription has ended for good: the credential was refused or revoked (UNAUTHENTICATED), the user holds
   * too many connections (RATE_LIMITED), or the server refused the operation. Not called for outages: those are
   * retried with backoff.
   */
  onError?(error: ImageHostError): void;
  /**
   * The socket is (again) connected. `reconnected` is true after a drop: events in between were missed, so
   * refetch what you show.
   */
  onConnected?(reconnected: boolean): void;
  signal?: AbortSignal;
}

/** What the WebSocket constructor must look like: the browser's, Node 22+'s global, or the `ws` package. */
export type WebSocketConstructor = unknown;

/** Longest wait between reconnect attempts, milliseconds. */
const MAX_RETRY_WAIT_MS = 30_000;

/**
 * The client's WebSocket side: one graphql-ws connection per ImageHostClient, opened on the first subscription
 * and closed after the last. It authenticates with `{authorization: "Bearer <credential>"}` in `connection_init`,
 * or (no credential, in the web app) with the page's session cookie. Drops (server restart, 1001; Redis away,
 * 1013; network) are retried forever with exponential backoff and jitter, capped at 30 s.
 */
export class LiveConnection {
  private client: Client | null = null;

  constructor(
    private readonly url: string,
    private readonly credential: string | null,
    private readonly webSocketImpl: WebSocketConstructor | undefined,
  ) {}

  subscribe<TData>(query: string, variables: Record<string, unknown>, handlers: SubscribeHandlers<TData>): () => void {
    const client = (this.client ??= this.open());
    let done = false;
    const offConnected = client.on("connected", (_socket, _payload, wasRetry) => {
      if (!done) handlers.onConnected?.(wasRetry);
    });
    const stop = client.subscribe<TData>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors && result.errors.length > 0) handlers.onError?.(fromGraphQLErrors(result.errors));
          else if (result.data) handlers.onData(result.data as TData);
        },
        error: (error) => {
          finish();
          handlers.onError?.(toLiveError(error));
        },
        complete: () => finish(),
      },
    );
    const finish = () => {
      if (done) return;
      done = true;
      offConnected();
      handlers.signal?.removeEventListener("abort", finish);
      stop();
    };
    if (handlers.signal?.aborted) finish();
    handlers.signal?.addEventListener("abort", finish, { once: true });
    return finish;
  }

  /** The viewer's image events: CREATED, READY, FAILED, DELETED. */
  imageEvents(handlers: Omit<SubscribeHandlers<ImageEvent>, "onData"> & { onEvent(event: ImageEvent): void }) {
    return this.subscribe<ImageEventsSubscription>(
      ImageEventsDocument,
      {},
      {
        ...handlers,
        onData: (data) => handlers.onEvent(data.imageEvents),
      },
    );
  }

  /** Closes the socket now (subscriptions end without onError). */
  async dispose(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.dispose();
  }

  private open(): Client {
    return createClient({
      url: this.url,
      webSocketImpl: this.webSocketImpl,
      connectionParams: this.credential === null ? {} : { authorization: `Bearer ${this.credential}` },
      // Close the socket when the last subscription ends.
      lazy: true,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      retryWait: async (retries) => {
        const wait = Math.min(MAX_RETRY_WAIT_MS, 500 * 2 ** retries) * (0.5 + Math.random() / 2);
        await new Promise((resolve) => setTimeout(resolve, wait));
      },
    });
  }
}

/** graphql-ws reports a fatal close as a CloseEvent-like object, a refused operation as GraphQL errors. */
function toLiveError(error: unknown): ImageHostError {
  if (Array.isArray(error)) return fromGraphQLErrors(error);
  const close = error as { code?: number; reason?: string } | null;
  if (close && typeof close.code === "number") {
    const reason = close.reason ? `: ${close.reason}` : "";
    if (close.code === 4401)
      return new ImageHostError("UNAUTHENTICATED", `The server refused the credential${reason}.`);
    if (close.code === 4429) return new ImageHostError("RATE_LIMITED", `Too many live connections${reason}.`);
    return new ImageHostError("NETWORK_ERROR", `Live connection closed (${close.code})${reason}.`);
  }
  return new ImageHostError("NETWORK_ERROR", "Live connection failed.", { cause: error });
}
