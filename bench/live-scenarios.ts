import { fork } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { uploadImage } from "./api.js";
import { IMAGE_EVENTS_SUBSCRIPTION } from "./image-events.js";
import type { LiveClientCommand, LiveClientReport } from "./live-client.js";
import { Latencies, type Sample, ScenarioError, pool } from "./load.js";
import type { Phase, Row } from "./measure.js";
import { REPO_ROOT, sleep } from "./processes.js";
import type { BenchContext } from "./scenarios.js";

// Live updates (issue 14): how soon a subscriber hears of an upload, and what idle subscriptions cost the server.

/** How long one event or acknowledgement may take before the scenario counts as failed to run. */
const EVENT_TIMEOUT_MS = 10_000;
const LIVE_CLIENT = path.join(REPO_ROOT, "bench/live-client.ts");
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
 * One graphql-ws client subscribed to the uploader's events, one upload at a time (a queue of uploads would measure
 * the queue), in a process of its own (bench/live-client.ts, which says why). Latency = CREATED arrival − the moment
 * completeUpload is sent: the event is published before the mutation answers, so measuring from the answer would
 * give 0 almost always (the row name says how many arrived first).
 */
async function latencyPhase(ctx: BenchContext): Promise<{ phase: Phase; close(): Promise<void> }> {
  const pngDir = await mkdtemp(path.join(os.tmpdir(), "ih-bench-live-"));
  const pngFile = path.join(pngDir, "upload.png");
  await writeFile(pngFile, ctx.png);
  const child = fork(LIVE_CLIENT, [], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    env: { ...process.env, LIVE_URL: ctx.local.url, LIVE_API_KEY: ctx.users.uploader.apiKey, LIVE_PNG: pngFile },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  /** The client's next report; a failure, or an exit before it, rejects. */
  const nextReport = () =>
    new Promise<LiveClientReport>((resolve, reject) => {
      const onExit = () => reject(new ScenarioError("the live client exited"));
      child.once("exit", onExit);
      child.once("message", (message: LiveClientReport) => {
        child.off("exit", onExit);
        if ("failed" in message) reject(new ScenarioError(`live client: ${message.failed}`));
        else resolve(message);
      });
    });
  const close = async () => {
    if (child.exitCode === null && child.connected) child.send({ stop: true } satisfies LiveClientCommand);
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
    await rm(pngDir, { recursive: true, force: true });
  };
  try {
    await nextReport(); // ready: an event proved the subscription live
  } catch (error) {
    await close();
    throw error;
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
      const answer = nextReport();
      child.send({ run: seconds } satisfies LiveClientCommand);
      const report = await answer;
      if (!("ran" in report)) throw new ScenarioError("the live client answered out of turn");
      const latencies = new Latencies();
      for (const latency of report.ran.latencies) latencies.add(latency);
      total += report.ran.latencies.length;
      early += report.ran.early;
      if (latencies.count === 0) throw new ScenarioError("no upload completed");
      return { latencies, seconds: report.ran.seconds } satisfies Sample;
    },
  };
  return { phase, close };
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
  socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: IMAGE_EVENTS_SUBSCRIPTION } }));
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
