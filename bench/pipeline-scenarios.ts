import os from "node:os";
import { performance } from "node:perf_hooks";
import sharp from "sharp";
import { type BenchUser, completeUpload, putBytes, registerUser, requestUpload } from "./api.js";
import { watchImageEvents } from "./image-events.js";
import { Latencies, type Sample, ScenarioError, loops } from "./load.js";
import type { Phase, Row } from "./measure.js";
import { photos, sharpAlone, workerPeakRss } from "./pipeline-fixtures.js";
import type { RssVerdict } from "./report.js";
import type { BenchContext } from "./scenarios.js";

// The image pipeline (issue 13 point 9): what a gallery page downloads, how soon an upload is READY, and what the
// worker costs over sharp alone. Against the local-driver server, whose embedded worker (WORKERS=1, one job per
// core) processes its uploads.

const MB = 1024 * 1024;
/** A web gallery page shows this many images. */
const GALLERY_PAGE = 24;
/** 12 MP, 4:3, as a phone takes them. */
const PHOTO = { width: 4000, height: 3000 };
/** 40 MP, the most the pipeline accepts (MAX_PIXELS). */
const BIG_PHOTO = { width: 7300, height: 5479 };
const EVENT_TIMEOUT_MS = 120_000;
const IMAGE_QUERY = `query($id: ID!) { image(id: $id) { size variants { url width size } } }`;

/** Targets judged by `judgePipeline` (absolute, on this machine). */
const GALLERY_LIMIT_BYTES = 1.5 * MB;
const READY_P50_LIMIT_MS = 1_000;

export async function pipelineGroup(
  ctx: BenchContext,
  measure: (ctx: BenchContext, phases: Phase[]) => Promise<Row[]>,
): Promise<Row[]> {
  const smoke = ctx.settings.smoke;
  ctx.log("pipeline: rendering photo-like 12-MP JPEGs");
  const inputs = await photos(smoke ? 2 : 4, PHOTO.width, PHOTO.height);
  const user = await registerUser(ctx.local.url, "bench_pipeline");
  const events = await readyEvents(ctx.local.url, user);
  try {
    const rows = [...(await readyAndGallery(ctx, user, events, inputs, smoke ? 2 : GALLERY_PAGE))];
    rows.push(...(await measure(ctx, throughputPhases(ctx, user, events, inputs))));
    ctx.log(`pipeline: one ${smoke ? "12" : "40"}-MP JPEG through a worker process of its own`);
    const big = smoke ? inputs[0]! : (await photos(1, BIG_PHOTO.width, BIG_PHOTO.height))[0]!;
    const peak = await workerPeakRss(ctx.redisUrl, ctx.scratchDir, big);
    const megapixels = smoke ? 12 : 40;
    rows.push(
      row(
        "pipeline-rss",
        `\`node dist/server/worker.js\` processing one ${megapixels}-MP JPEG alone (RSS: peak VmHWM; idle before: ${(peak.idleRss / MB).toFixed(0)} MB)`,
        "images/s",
        [peak.ms],
        peak.ms / 1000,
        { serverCpuUs: peak.cpuSeconds * 1e6, serverRss: peak.peakRss },
      ),
    );
    return rows;
  } finally {
    await events.close();
  }
}

/**
 * N uploads of a 12-MP JPEG, one at a time (a queue of them would measure the queue): completeUpload answered →
 * the READY event at a subscriber. Then the web gallery's page of those images: the smallest variant of each
 * (the 320-px WebP its srcset starts with), fetched through the public link and its redirect, against the bytes
 * the originals would have cost.
 */
async function readyAndGallery(
  ctx: BenchContext,
  user: BenchUser,
  events: ReadyEvents,
  inputs: Buffer[],
  count: number,
): Promise<Row[]> {
  ctx.log(`pipeline: ${count} uploads of a 12-MP JPEG, one at a time, each until READY`);
  const ready: number[] = [];
  const ids: string[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const { id, answeredAt } = await upload(ctx.local.url, user, inputs[i % inputs.length]!);
    ready.push((await events.readyAt(id)) - answeredAt);
    ids.push(id);
  }
  const uploadSeconds = (performance.now() - started) / 1000;
  let originals = 0;
  let thumbnails = 0;
  const fetches: number[] = [];
  const t0 = performance.now();
  for (const id of ids) {
    const image = await imageOf(ctx.local.url, user.apiKey, id);
    originals += image.size;
    const smallest = [...image.variants].sort((a, b) => a.width - b.width)[0];
    if (!smallest) throw new ScenarioError(`image ${id} is READY without variants`);
    const sent = performance.now();
    const answer = await fetch(smallest.url);
    const bytes = (await answer.arrayBuffer()).byteLength;
    if (!answer.ok || bytes !== smallest.size)
      throw new ScenarioError(`${smallest.url} answered ${answer.status} with ${bytes} bytes, not ${smallest.size}`);
    fetches.push(performance.now() - sent);
    thumbnails += bytes;
  }
  const fetchSeconds = (performance.now() - t0) / 1000;
  const gallery: GalleryRow = {
    ...row(
      "pipeline-gallery",
      `gallery page of ${count} 12-MP photos: the smallest variant of each through its public link (${(thumbnails / MB).toFixed(2)} MB; the originals: ${(originals / MB).toFixed(1)} MB)`,
      "req/s",
      fetches,
      fetchSeconds,
    ),
    bytes: { page: thumbnails, originals },
  };
  const readyRow = row(
    "pipeline-ready",
    `12-MP JPEG (${(inputs[0]!.length / MB).toFixed(1)} MB): completeUpload answered → READY event at a subscriber, 1 upload at a time (${count} uploads)`,
    "uploads/s",
    ready,
    uploadSeconds,
  );
  return [readyRow, gallery];
}

/**
 * The worker's throughput against sharp alone doing the same operations on the same JPEGs in this process, as many
 * at a time as the worker takes jobs (one per core). The worker side keeps twice that many uploads in flight, so
 * its queue never runs dry; an image counts when its READY event arrives.
 */
function throughputPhases(ctx: BenchContext, user: BenchUser, events: ReadyEvents, inputs: Buffer[]): Phase[] {
  const parallel = os.availableParallelism();
  sharp.cache(false); // as the worker runs it (server/services/image-processor.ts)
  let next = 0;
  return [
    {
      key: "pipeline-sharp",
      name: () => `sharp alone on the same operations, ${parallel} at a time (bench process)`,
      unit: "images/s",
      server: null,
      run: (seconds) => loops(parallel, seconds, () => sharpAlone(inputs[next++ % inputs.length]!)),
    },
    {
      key: "pipeline-worker",
      name: () => `worker in the server, ${parallel} jobs at a time: uploads of 12-MP JPEGs until READY`,
      unit: "images/s",
      server: ctx.local,
      async run(seconds): Promise<Sample> {
        const latencies = new Latencies();
        const sample = await loops(parallel * 2, seconds, async () => {
          const { id, answeredAt } = await upload(ctx.local.url, user, inputs[next++ % inputs.length]!);
          latencies.add((await events.readyAt(id)) - answeredAt);
        });
        return { latencies, seconds: sample.seconds };
      },
    },
  ];
}

/** Absolute targets of the group: bytes of the gallery page, and READY latency p50 ("about a second"). */
export function judgePipeline(rows: readonly Row[]): RssVerdict[] {
  const verdicts: RssVerdict[] = [];
  const gallery = rows.find((r) => r.key === "pipeline-gallery") as GalleryRow | undefined;
  if (gallery?.bytes) {
    const { page, originals } = gallery.bytes;
    const result = page <= GALLERY_LIMIT_BYTES ? "PASS" : "MISS";
    const name = "gallery page: bytes downloaded (smallest variants)";
    verdicts.push({
      name,
      result,
      text: `| ${name} | | | | | | originals: ${(originals / MB).toFixed(1)} MB | ${(page / originals).toFixed(3)}× | ≤ ${GALLERY_LIMIT_BYTES / MB} MB: ${(page / MB).toFixed(2)} MB | ${result} |`,
    });
  }
  const ready = rows.find((r) => r.key === "pipeline-ready");
  if (ready) {
    const p50 = ready.measurement.p50;
    const result = p50 <= READY_P50_LIMIT_MS ? "PASS" : "MISS";
    const name = "12-MP upload: completeUpload answered → READY, p50";
    verdicts.push({
      name,
      result,
      text: `| ${name} | | ${p50.toFixed(0)} | | | | ${READY_P50_LIMIT_MS} ms ("about a second") | ${(p50 / READY_P50_LIMIT_MS).toFixed(2)}× | ≤ 1.00× | ${result} |`,
    });
  }
  return verdicts;
}

type GalleryRow = Row & { bytes?: { page: number; originals: number } };

function row(
  key: string,
  name: string,
  unit: Row["unit"],
  latenciesMs: number[],
  seconds: number,
  server: { serverCpuUs: number | null; serverRss: number | null } = { serverCpuUs: null, serverRss: null },
): Row {
  const latencies = new Latencies();
  for (const ms of latenciesMs) latencies.add(ms);
  return {
    key,
    name,
    unit,
    measurement: {
      count: latencies.count,
      seconds,
      rate: latencies.count / seconds,
      p50: latencies.percentile(0.5),
      p99: latencies.percentile(0.99),
      bytesPerOp: 0,
      ...server,
    },
  };
}

async function upload(baseUrl: string, user: BenchUser, bytes: Buffer): Promise<{ id: string; answeredAt: number }> {
  const ticket = await requestUpload(baseUrl, user.apiKey, bytes, "image/jpeg");
  await putBytes(ticket, bytes);
  const id = await completeUpload(baseUrl, user.apiKey, ticket.uploadId);
  return { id, answeredAt: performance.now() };
}

async function imageOf(baseUrl: string, apiKey: string, id: string) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify({ query: IMAGE_QUERY, variables: { id } }),
  });
  const body = (await response.json()) as {
    data?: { image: { size: number; variants: { url: string; width: number; size: number }[] } | null };
  };
  if (!body.data?.image) throw new ScenarioError(`image ${id}: ${JSON.stringify(body).slice(0, 200)}`);
  return body.data.image;
}

interface ReadyEvents {
  /** When the READY event of `imageId` arrived (performance.now()); throws on FAILED or after a timeout. */
  readyAt(imageId: string): Promise<number>;
  close(): Promise<void>;
}

/** One subscription to the user's image events, remembering when each READY (or FAILED) arrived. */
async function readyEvents(baseUrl: string, user: BenchUser): Promise<ReadyEvents> {
  const events = watchImageEvents(baseUrl, user.apiKey, ["READY", "FAILED"]);
  await events.connected;
  return {
    async readyAt(imageId) {
      const event = await events.arrivalOf(imageId, EVENT_TIMEOUT_MS);
      if (event.kind !== "READY") throw new ScenarioError(`image ${imageId} ended ${event.kind}`);
      return event.at;
    },
    close: () => events.close(),
  };
}
