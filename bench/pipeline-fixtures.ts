import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import sharp from "sharp";
import { rgbaToThumbHash } from "thumbhash";
import type { ImageRecord } from "../server/ports/image-store.js";
import { QUEUE_PREFIX } from "../server/queue/bullmq-job-queue.js";
import { redisKeys } from "../server/redis/keys.js";
import { imageFields } from "../server/redis/image-record-fields.js";
import { newId } from "../server/services/credentials.js";
import { PLACEHOLDER_MAX_SIDE } from "../server/services/image-processor.js";
import { LocalBlobStore } from "../server/storage/local-blob-store.js";
import { ScenarioError } from "./load.js";
import { REPO_ROOT, cpuSecondsOf, sleep } from "./processes.js";

// Inputs and the in-process baseline of the pipeline group (issue 13 point 9); the scenarios are in
// bench/pipeline-scenarios.ts.

/**
 * `count` distinct photo-like JPEGs of `width`×`height` (quality 92, a Display P3 ICC profile, EXIF orientation 6 so
 * that autoOrient has work): large soft shapes with fine grain, which compress like a phone photo (about 3.4 MB at
 * 12 MP; pure noise would be twice that and make the thumbnails unrealistically heavy).
 */
export async function photos(count: number, width: number, height: number): Promise<Buffer[]> {
  const low = await sharp({
    create: {
      width: 40,
      height: 30,
      channels: 3,
      background: "#000",
      noise: { type: "gaussian", mean: 128, sigma: 60 },
    },
  })
    .png()
    .toBuffer();
  const base = await sharp(low).resize(width, height, { kernel: "cubic" }).raw().toBuffer();
  const grain = await sharp({
    create: { width, height, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 7 } },
  })
    .raw()
    .toBuffer();
  for (let i = 0; i < base.length; i++) base[i] = Math.max(0, Math.min(255, base[i]! + grain[i]! - 128));
  // Distinct pictures from one render: each a different flip of it.
  const flips = [[], ["flip"], ["flop"], ["flip", "flop"]] as const;
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      let image = sharp(base, { raw: { width, height, channels: 3 } });
      for (const op of flips[i % flips.length]!) image = op === "flip" ? image.flip() : image.flop();
      return image.withIccProfile("p3").withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer();
    }),
  );
}

/**
 * The worker's operations on a JPEG with sharp alone, in this process: autoOrient, metadata stripped but the ICC
 * profile kept, JPEG at quality 90, WebP thumbnails 320 and 1280 px wide, a ThumbHash of a rendition as small as the
 * worker's (PLACEHOLDER_MAX_SIDE).
 * What the worker does on top (read the original from storage, write four objects, Redis, BullMQ) is the overhead
 * the comparison shows.
 */
export async function sharpAlone(input: Buffer): Promise<void> {
  const open = () => sharp(input, { limitInputPixels: 40_000_000 }).autoOrient();
  await open().keepIccProfile().jpeg({ quality: 90 }).toBuffer();
  for (const width of [320, 1280]) {
    await open()
      .resize({ width, height: width * 4, fit: "inside", withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
  }
  const { data, info } = await open()
    .resize(PLACEHOLDER_MAX_SIDE, PLACEHOLDER_MAX_SIDE, { fit: "inside" })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  rgbaToThumbHash(info.width, info.height, data);
}

export interface WorkerPeak {
  /** Peak resident memory of the worker's node process (VmHWM), bytes, and what it was when idle before the job. */
  peakRss: number;
  idleRss: number;
  /** Job queued → record READY, ms; CPU the worker used meanwhile, seconds. */
  ms: number;
  cpuSeconds: number;
}

/**
 * A worker on its own, as deployed (`node dist/server/worker.js`, one job at a time), processing one `jpeg`: the
 * record is written as completeUpload leaves it (PROCESSING, bytes under `orig/`) and the job added to a queue only
 * this worker takes, so nothing else runs in that process. Its VmHWM is the peak the job needed.
 */
export async function workerPeakRss(redisUrl: string, scratchDir: string, jpeg: Buffer): Promise<WorkerPeak> {
  const dataDir = await mkdtemp(path.join(scratchDir, "rss-worker-"));
  const queueName = "bench-rss";
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    NODE_ENV: "production",
    REDIS_URL: redisUrl,
    DATA_DIR: dataDir,
    QUEUE_NAME: queueName,
    WORKERS: "1",
    WORKER_CONCURRENCY: "1",
  };
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "dist/server/worker.js")], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
  // run.ts exits the process after its cleanup; this child is not among its servers, so it goes with the process.
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const redis = new Redis(redisUrl);
  const queue = new Queue(queueName, { connection: { url: redisUrl }, prefix: QUEUE_PREFIX });
  try {
    await until(
      () => output.includes("worker(s)"),
      child,
      () => output,
      "the worker to start",
    );
    const idleRss = statusKb(child.pid!, "VmRSS") * 1024;
    const id = newId();
    const blobs = new LocalBlobStore({
      root: path.join(dataDir, "blobs"),
      publicUrl: "http://127.0.0.1",
      signingSecret: randomBytes(32),
    });
    await blobs.put(`orig/${id}`, jpeg, "image/jpeg");
    const meta = await sharp(jpeg).metadata();
    const processing = { status: "PROCESSING", failureReason: null, placeholder: null, publicKey: null } as const;
    const record: ImageRecord = {
      id,
      ownerId: newId(),
      key: `orig/${id}`,
      filename: "big.jpg",
      contentType: "image/jpeg",
      size: jpeg.length,
      width: meta.width,
      height: meta.height,
      createdAt: Date.now(),
      visibility: "public",
      status: "live",
      processing: { ...processing, publicSize: null, variants: [] },
    };
    await redis.hset(redisKeys.image(id), imageFields(record));
    const cpuBefore = cpuSecondsOf(child.pid!) ?? 0;
    const t0 = performance.now();
    await queue.add("process", { imageId: id }, { jobId: `img-${id}` });
    let state: string | null = null;
    await until(
      async () => (state = await redis.hget(redisKeys.image(id), "pstatus")) !== "PROCESSING",
      child,
      () => output,
      "the 40-MP job",
    );
    if (state !== "READY") throw new ScenarioError(`the 40-MP job ended ${state}`);
    const ms = performance.now() - t0;
    const cpuSeconds = (cpuSecondsOf(child.pid!) ?? 0) - cpuBefore;
    return { peakRss: statusKb(child.pid!, "VmHWM") * 1024, idleRss, ms, cpuSeconds };
  } finally {
    process.removeListener("exit", kill);
    child.kill("SIGTERM");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (child.exitCode === null && (await Promise.race([exited, sleep(10_000).then(() => "late")])) === "late") kill();
    await queue.close();
    redis.disconnect();
  }
}

async function until(
  check: () => boolean | Promise<boolean>,
  child: ChildProcess,
  output: () => string,
  what: string,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (child.exitCode !== null) throw new ScenarioError(`the worker exited waiting for ${what}:\n${output()}`);
    if (Date.now() > deadline) throw new ScenarioError(`timed out waiting for ${what}:\n${output()}`);
    await sleep(50);
  }
}

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), in kB. */
function statusKb(pid: number, field: string): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new ScenarioError(`no ${field} for pid ${pid}`);
  return Number(match[1]);
}
