import WebSocket from "ws";
import { Redis } from "ioredis";

/** One graphql-ws `next` payload of `imageEvents`. */
interface ReceivedEvent {
  kind: string;
  imageId: string;
  image: { id: string; url: string; filename: string } | null;
}

export const IMAGE_EVENTS = `subscription { imageEvents { kind imageId image { id url filename } } }`;

export interface LiveSocket {
  readonly socket: WebSocket;
  /** Every message the server sent, parsed. */
  readonly messages: { type: string; id?: string; payload?: unknown }[];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Sends connection_init and resolves when acknowledged (rejects when the socket closes instead). */
  init(payload?: Record<string, unknown>): Promise<void>;
  /** Starts a subscription; its events collect in `events(id)`. */
  subscribe(id: string, query?: string): void;
  events(id: string): ReceivedEvent[];
  /** Errors the server sent for a subscription (`error` messages, or `next` with errors). */
  errors(id: string): { message: string; extensions?: { code?: string } }[];
  /** Polls `check` until true, failing after `timeoutMs` (also if the socket closed meanwhile). */
  waitFor(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A raw graphql-ws client on `ws`, so tests see every message and close code. */
export async function openLiveSocket(baseUrl: string, headers: Record<string, string> = {}): Promise<LiveSocket> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { headers });
  const messages: LiveSocket["messages"] = [];
  let closedWith: { code: number; reason: string } | null = null;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.once("close", (code, reason) => {
      closedWith = { code, reason: reason.toString() };
      resolve(closedWith);
    });
  });
  socket.on("message", (data) => messages.push(JSON.parse(String(data)) as LiveSocket["messages"][number]));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`upgrade refused: ${response.statusCode}`)),
    );
    socket.once("error", reject);
  });
  const waitFor = async (check: () => boolean, what: string, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (closedWith) throw new Error(`socket closed (${closedWith.code} ${closedWith.reason}) waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const live: LiveSocket = {
    socket,
    messages,
    closed,
    async init(payload = {}) {
      socket.send(JSON.stringify({ type: "connection_init", payload }));
      await waitFor(() => messages.some((m) => m.type === "connection_ack"), "connection_ack");
    },
    subscribe(id, query = IMAGE_EVENTS) {
      socket.send(JSON.stringify({ id, type: "subscribe", payload: { query } }));
    },
    events(id) {
      return messages
        .filter((m) => m.id === id && m.type === "next")
        .map((m) => (m.payload as { data?: { imageEvents?: ReceivedEvent } }).data?.imageEvents)
        .filter((e): e is ReceivedEvent => e !== undefined && e !== null);
    },
    errors(id) {
      return messages
        .filter((m) => m.id === id && (m.type === "error" || m.type === "next"))
        .flatMap((m) =>
          m.type === "error"
            ? (m.payload as { message: string }[])
            : ((m.payload as { errors?: { message: string }[] }).errors ?? []),
        );
    },
    waitFor,
    async close() {
      if (socket.readyState !== WebSocket.CLOSED) {
        socket.close();
        await closed;
      }
    },
  };
  return live;
}

/**
 * Waits until Redis has `count` subscribers on the user's event channel: the server subscribes asynchronously
 * after the client's `subscribe`, and only events published after that can arrive.
 */
export async function waitForSubscribers(redisUrls: string | string[], userId: string, count = 1): Promise<void> {
  // On Redis Cluster each node counts only its own subscribers: ask every node and add up.
  const nodes = (Array.isArray(redisUrls) ? redisUrls : [redisUrls]).map(
    (url) => new Redis(url, { lazyConnect: true }),
  );
  await Promise.all(nodes.map((node) => node.connect()));
  try {
    const deadline = Date.now() + 5000;
    for (;;) {
      let total = 0;
      for (const node of nodes) {
        const [, subscribers] = (await node.pubsub("NUMSUB", `ih:ev:{${userId}}`)) as [string, number];
        total += Number(subscribers);
      }
      if (total >= count) return;
      if (Date.now() > deadline) throw new Error(`no ${count} subscriber(s) for ${userId}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    for (const node of nodes) node.disconnect();
  }
}
