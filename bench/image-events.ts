import { performance } from "node:perf_hooks";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { ScenarioError } from "./scenario-error.js";

/** The subscription every bench client holds: a user's image events, with only what the scenarios read. */
export const IMAGE_EVENTS_SUBSCRIPTION = "subscription { imageEvents { kind imageId } }";

/** When an image's event arrived (performance.now()), and which it was. */
interface ImageEventArrival {
  readonly at: number;
  readonly kind: string;
}

export interface ImageEventWatch {
  /** Resolves once the client is connected (graphql-ws does not acknowledge the subscribe itself). */
  readonly connected: Promise<void>;
  /** The arrival of `imageId`'s event, waiting for it up to `timeoutMs`; each arrival is handed out once. */
  arrivalOf(imageId: string, timeoutMs: number): Promise<ImageEventArrival>;
  close(): Promise<void>;
}

/**
 * One graphql-ws subscription (API key in connection_init) to a user's image events, remembering when the first
 * event of one of `kinds` arrived for each image, for the scenarios that time them (bench/live-client.ts and
 * bench/pipeline-scenarios.ts). A failed subscription fails every wait, current and later.
 */
export function watchImageEvents(baseUrl: string, apiKey: string, kinds: readonly string[]): ImageEventWatch {
  const arrived = new Map<string, ImageEventArrival>();
  const waiters = new Map<string, () => void>();
  let failure: Error | null = null;
  const client: Client = createClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { apiKey },
    retryAttempts: 0,
  });
  const connected = new Promise<void>((resolve) => client.on("connected", () => resolve()));
  const unsubscribe = client.subscribe<{ imageEvents: { kind: string; imageId: string } }>(
    { query: IMAGE_EVENTS_SUBSCRIPTION },
    {
      next: ({ data }) => {
        const event = data?.imageEvents;
        if (!event || !kinds.includes(event.kind)) return;
        arrived.set(event.imageId, { at: performance.now(), kind: event.kind });
        waiters.get(event.imageId)?.();
      },
      error: (error) => {
        failure = new ScenarioError(`subscription failed: ${describe(error)}`);
        for (const wake of waiters.values()) wake();
      },
      complete: () => undefined,
    },
  );
  return {
    connected,
    async arrivalOf(imageId, timeoutMs) {
      if (!arrived.has(imageId) && !failure) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            waiters.delete(imageId);
            reject(new ScenarioError(`no ${kinds.join(" or ")} event for ${imageId}`));
          }, timeoutMs);
          waiters.set(imageId, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        waiters.delete(imageId);
      }
      if (failure) throw failure;
      const arrival = arrived.get(imageId)!;
      arrived.delete(imageId);
      return arrival;
    },
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

/** A graphql-ws failure: an Error, a list of GraphQL errors, or the socket's close event. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((e) => describe(e)).join("; ");
  if (typeof error === "object" && error !== null && "code" in error)
    return `closed ${String((error as { code: unknown }).code)} ${String((error as { reason?: unknown }).reason ?? "")}`;
  return String(error);
}
