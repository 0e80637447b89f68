import { performance } from "node:perf_hooks";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { completeUpload, putBytes, requestUpload, uploadImage } from "./api.js";
import { Latencies, type Sample, ScenarioError, loops, pool } from "./load.js";
import type { Phase, Row } from "./measure.js";
import { sleep } from "./processes.js";
import type { BenchContext } from "./scenarios.js";

// Live updates (issue 14): how soon a subscriber hears of an upload, and what idle subscriptions cost the server.

const SUBSCRIPTION = "subscription { imageEvents { kind imageId } }";
/** How long one event or acknowledgement may take before the scenario counts as failed to run. */
const EVENT_TIMEOUT_MS = 10_000;
/** How long each upload that proves the subscription live waits for its event before the next one is sent. */
const LIVENESS_PROBE_MS = 1_000;
/** Sockets opened at once while building up the idle subscriptions. */
const OPEN_CONCURRENCY = 50;
/** RSS is sampled over this long, after the sockets settle, and the median kept (a GC mid-window moves one sample). */
const RSS_WINDOW_MS = 2_000;

export async function liveGroup(
  ctx: BenchContext,
  measure: (ctx: BenchContext, phases: Phase[]) => Promise<Row[]>,
): Promise<Row[]> {
  const latency = await latencyPhase(ctx);
  let rows: Row[];
  try {
    rows = await measure(ctx, [latency.phase]);
  } finally {
    await latency.close();
  }
  return [...rows, ...(await idleRss(ctx))];
}

/**
 * One graphql-ws client (API key in connection_init) subscribed to the uploader's events; one upload at a time
 * (a queue of uploads would measure the queue). Latency = CREATED arrival − the moment completeUpload is sent: the
 * event is published before the mutation answers, so measuring from the answer would give 0 almost always (the
 * row name says how many arrived first).
 */
async function latencyPhase(ctx: BenchContext): Promise<{ phase: Phase; close(): Promise<void> }> {
  const { url } = ctx.local;
  const { apiKey } = ctx.users.uploader;
  const arrived = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  let failure: Error | null = null;
  const client: Client = createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { apiKey },
    retryAttempts: 0,
  });
  const stop = client.subscribe<{ imageEvents: { kind: string; imageId: string } }>(
    { query: SUBSCRIPTION },
    {
      next: (message) => {
        const event = message.data?.imageEvents;
        if (event?.kind !== "CREATED") return;
        arrived.set(event.imageId, performance.now());
        waiters.get(event.imageId)?.();
      },
      error: (error) => {
        failure = new ScenarioError(`subscription failed: ${describe(error)}`);
        for (const wake of waiters.values()) wake();
      },
      complete: () => undefined,
    },
  );
  const eventOf = async (imageId: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<number> => {
    if (!arrived.has(imageId)) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(imageId);
          reject(new ScenarioError(`no CREATED event for ${imageId}`));
        }, timeoutMs);
        waiters.set(imageId, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      waiters.delete(imageId);
    }
    if (failure) throw failure;
    const at = arrived.get(imageId)!;
    arrived.delete(imageId);
    return at;
  };
  // Live before anything is timed: an upload's event proves the subscription is registered. graphql-ws does not
  // acknowledge a subscribe, and an event published before the server has subscribed is not delivered, so upload
  // until one arrives.
  for (let attempt = 1; ; attempt++) {
    const imageId = await uploadImage(url, apiKey, ctx.png, "image/png");
    try {
      await eventOf(imageId, LIVENESS_PROBE_MS);
      break;
    } catch (error) {
      if (attempt * LIVENESS_PROBE_MS >= EVENT_TIMEOUT_MS) throw error;
    }
  }

  let early = 0;
  let total = 0;
  const phase: Phase = {
    key: "live-latency",
    name: () =>
      `\`imageEvents\` CREATED: completeUpload sent → event at the subscriber, 1 upload at a time (${early} of ${total} events arrived before the answer)`,
    unit: "events/s",
    server: ctx.local,
    async run(seconds) {
      const timed = new Latencies();
      const sample = await loops(1, seconds, async () => {
        const ticket = await requestUpload(url, apiKey, ctx.png, "image/png");
        await putBytes(ticket, ctx.png);
        const sentAt = performance.now();
        const id = await completeUpload(url, apiKey, ticket.uploadId);
        const answeredAt = performance.now();
        const eventAt = await eventOf(id);
        total++;
        if (eventAt <= answeredAt) early++;
        timed.add(eventAt - sentAt);
      });
      return { latencies: timed, seconds: sample.seconds } satisfies Sample;
    },
  };
  return {
    phase,
    close: async () => {
      stop();
      await client.dispose();
    },
  };
}

/**
 * The local server's RSS with no subscription, then with `idleSubscriptions` sockets (raw graphql-ws protocol on
 * `ws`: connection_init with the API key, one `imageEvents` subscription each), all of the `idle` user. One upload
 * afterwards must reach every socket, so each subscription is known to be live, not just sent.
 */
async function idleRss(ctx: BenchContext): Promise<Row[]> {
  const { url } = ctx.local;
  const { apiKey } = ctx.users.idle;
  const count = ctx.settings.idleSubscriptions;
  const before = await settledRss(ctx);
  const sockets: IdleSocket[] = [];
  const openLatencies = new Latencies();
  const t0 = performance.now();
  try {
    await pool(
      Array.from({ length: count }, (_, i) => i),
      OPEN_CONCURRENCY,
      async () => {
        const start = performance.now();
        sockets.push(await openIdle(url, apiKey));
        openLatencies.add(performance.now() - start);
      },
    );
    const openSeconds = (performance.now() - t0) / 1000;
    ctx.log(`live-idle: ${count} subscriptions open in ${openSeconds.toFixed(1)} s; one upload must reach all`);
    const id = await uploadImage(url, apiKey, ctx.png, "image/png");
    await Promise.all(sockets.map((s) => s.heard(id)));
    const after = await settledRss(ctx);
    const row = (key: string, name: string, rss: number | null, latencies: Latencies, seconds: number): Row => ({
      key,
      name,
      unit: "subscriptions/s",
      measurement: {
        count: latencies.count,
        seconds,
        rate: latencies.count / seconds,
        p50: latencies.percentile(0.5),
        p99: latencies.percentile(0.99),
        bytesPerOp: 0,
        serverCpuUs: null,
        serverRss: rss,
      },
    });
    return [
      row("live-idle-none", "server with no subscriptions (RSS: median over 2 s)", before, new Latencies(), 0),
      row(
        "live-idle",
        `server with ${count.toLocaleString("en-US")} idle subscriptions (rate, p50/p99: open + connection_init + subscribe, ${OPEN_CONCURRENCY} at a time; RSS: median over 2 s)`,
        after,
        openLatencies,
        openSeconds,
      ),
    ];
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
  }
}

async function settledRss(ctx: BenchContext): Promise<number> {
  const samples: number[] = [];
  const end = performance.now() + RSS_WINDOW_MS;
  while (performance.now() < end) {
    const rss = ctx.local.rss();
    if (rss === null) throw new ScenarioError("the local server is gone");
    samples.push(rss);
    await sleep(100);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

interface IdleSocket {
  /** Resolves when this socket received the CREATED event of `imageId`. */
  heard(imageId: string): Promise<void>;
  close(): Promise<void>;
}

async function openIdle(baseUrl: string, apiKey: string): Promise<IdleSocket> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
  const heardIds = new Set<string>();
  const listeners = new Set<() => void>();
  let closed = false;
  const onGone = (why: string) => {
    closed = true;
    for (const wake of listeners) wake();
    return why;
  };
  let acked: () => void = () => undefined;
  let goneReason = "";
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as {
      type: string;
      payload?: { data?: { imageEvents?: { imageId: string } } };
    };
    if (message.type === "connection_ack") acked();
    const event = message.type === "next" ? message.payload?.data?.imageEvents : undefined;
    if (event) {
      heardIds.add(event.imageId);
      for (const wake of listeners) wake();
    }
  });
  socket.on("close", (code, reason) => {
    goneReason = onGone(`closed ${code} ${reason.toString()}`);
    acked();
  });
  socket.on("error", (error) => {
    goneReason = onGone(error.message);
    acked();
  });
  await new Promise<void>((resolve) => socket.once("open", resolve).once("close", () => resolve()));
  const until = async (check: () => boolean, what: string) => {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ScenarioError(`timed out waiting for ${what}`)), EVENT_TIMEOUT_MS);
      const wake = () => {
        if (!check() && !closed) return;
        clearTimeout(timer);
        listeners.delete(wake);
        if (check()) resolve();
        else reject(new ScenarioError(`idle socket ${goneReason} waiting for ${what}`));
      };
      listeners.add(wake);
    });
  };
  if (closed) throw new ScenarioError(`idle socket ${goneReason} before it opened`);
  const ack = new Promise<void>((resolve) => (acked = resolve));
  socket.send(JSON.stringify({ type: "connection_init", payload: { apiKey } }));
  await ack;
  if (closed) throw new ScenarioError(`idle socket ${goneReason} before connection_ack`);
  socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: SUBSCRIPTION } }));
  return {
    heard: (imageId) => until(() => heardIds.has(imageId), `the event of ${imageId}`),
    close: async () => {
      if (closed) return;
      const gone = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      socket.close(1000);
      await gone;
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((e) => describe(e)).join("; ");
  if (typeof error === "object" && error !== null && "code" in error)
    return `closed ${String((error as { code: unknown }).code)} ${String((error as { reason?: unknown }).reason ?? "")}`;
  return String(error);
}
