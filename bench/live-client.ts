import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { completeUpload, putBytes, requestUpload, uploadImage } from "./api.js";
import { watchImageEvents } from "./image-events.js";

/**
 * The client of the `imageEvents` latency scenario (bench/live-scenarios.ts), in a process of its own: one
 * subscription to the uploader's events (bench/image-events.ts), one upload at a time.
 *
 * Its own process because the latency it measures must be the server's: in the bench process, which also holds
 * every other scenario's state and load generator, major GCs of 4–28 ms ran inside the measured interval of 7 of the
 * 9 slowest events of an `--only live` run (docs/benchmarks.md). Here the heap holds one client and its samples.
 *
 * Environment: LIVE_URL, LIVE_API_KEY, LIVE_PNG (a file to upload). Over IPC: sends `ready` once an event has
 * proved the subscription live; answers each `{ run: seconds }` with `ran`; sends `failed` and exits on an error.
 */

export type LiveClientCommand = { run: number } | { stop: true };
export type LiveClientReport =
  { ready: true } | { ran: { latencies: number[]; seconds: number; early: number } } | { failed: string };

/** How long one event may take before the scenario counts as failed to run. */
const EVENT_TIMEOUT_MS = 10_000;
/** How long each upload that proves the subscription live waits for its event before the next one is sent. */
const LIVENESS_PROBE_MS = 1_000;

const url = process.env.LIVE_URL ?? "";
const apiKey = process.env.LIVE_API_KEY ?? "";
const png = readFileSync(process.env.LIVE_PNG ?? "");
const report = (message: LiveClientReport) => process.send?.(message);
const events = watchImageEvents(url, apiKey, ["CREATED"]);

/** When the CREATED event of `imageId` arrived (performance.now()); waits for it up to `timeoutMs`. */
async function eventOf(imageId: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<number> {
  return (await events.arrivalOf(imageId, timeoutMs)).at;
}

/**
 * Live before anything is timed: graphql-ws does not acknowledge a subscribe, and an event published before the
 * server has subscribed is not delivered, so upload until one arrives.
 */
async function proveLive(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const imageId = await uploadImage(url, apiKey, png, "image/png");
    try {
      await eventOf(imageId, LIVENESS_PROBE_MS);
      return;
    } catch (error) {
      if (attempt * LIVENESS_PROBE_MS >= EVENT_TIMEOUT_MS) throw error;
    }
  }
}

/** Uploads one at a time for `seconds`; latency = CREATED arrival − the moment completeUpload is sent. */
async function run(seconds: number): Promise<{ latencies: number[]; seconds: number; early: number }> {
  const latencies: number[] = [];
  let early = 0;
  const startedAt = performance.now();
  while (performance.now() < startedAt + seconds * 1000) {
    const ticket = await requestUpload(url, apiKey, png, "image/png");
    await putBytes(ticket, png);
    const sentAt = performance.now();
    const id = await completeUpload(url, apiKey, ticket.uploadId);
    const answeredAt = performance.now();
    const eventAt = await eventOf(id);
    if (eventAt <= answeredAt) early++;
    latencies.push(eventAt - sentAt);
  }
  return { latencies, seconds: (performance.now() - startedAt) / 1000, early };
}

async function stop(): Promise<void> {
  await events.close();
  process.disconnect?.();
}

const fail = (error: unknown) => {
  report({ failed: error instanceof Error ? error.message : String(error) });
  process.exit(1);
};
// The bench process went away: nothing will ask for more.
process.once("disconnect", () => process.exit(0));
process.on("message", (command: LiveClientCommand) => {
  if ("stop" in command) return void stop().catch(fail);
  run(command.run).then((ran) => report({ ran }), fail);
});
proveLive().then(() => report({ ready: true }), fail);
