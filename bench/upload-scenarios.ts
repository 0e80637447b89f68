import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { completeUpload, processedLocation, putBytes, requestUpload, uploadImage } from "./api.js";
import { Latencies, type Sample, ScenarioError, loops, pool } from "./load.js";
import type { Phase, Row } from "./measure.js";
import { cpuSecondsOf } from "./processes.js";
import { type BenchContext, UPLOAD_BYTES } from "./scenarios.js";

// Uploads, local driver: the bytes path against a bare durable-write server, and the whole flow.

export async function uploadGroup(
  ctx: BenchContext,
  measure: (ctx: BenchContext, phases: Phase[]) => Promise<Row[]>,
): Promise<Row[]> {
  const { settings } = ctx;
  const bytes = await measure(ctx, [
    {
      key: "upload-bare",
      name: () => "bare `node:http` PUT 256 KiB → temp + fsync + rename (baseline server)",
      unit: "MB/s",
      server: ctx.baseline,
      bytesPerOp: UPLOAD_BYTES,
      run: (s) => barePuts(ctx, s),
    },
    {
      key: "upload-fs",
      name: () => "fs: write 256 KiB to temp + fsync + rename (bench process)",
      unit: "MB/s",
      server: null,
      bytesPerOp: UPLOAD_BYTES,
      run: (s) => fsWrites(ctx, s),
    },
    {
      key: "upload-put",
      name: () => "`PUT /uploads/<token>` 256 KiB (the bytes path alone)",
      unit: "MB/s",
      server: ctx.local,
      bytesPerOp: UPLOAD_BYTES,
      run: (s) => puts(ctx, s),
    },
  ]);
  const { apiKey } = ctx.users.uploader;
  const uploaded: string[] = [];
  const flow = await measure(ctx, [
    {
      key: "upload-flow",
      name: () => `upload flow: requestUpload → PUT 256 KiB → completeUpload, ${settings.workers} workers`,
      unit: "uploads/s",
      server: ctx.local,
      bytesPerOp: UPLOAD_BYTES,
      run: (s) =>
        loops(settings.workers, s, async () => {
          uploaded.push(await uploadImage(ctx.local.url, apiKey, ctx.png, "image/png"));
        }),
    },
  ]);
  // The flow outruns the worker (its jobs are part of what it measures), so hundreds of them are still queued
  // when it ends: wait until the last is processed, or the next groups would be measured on a server busy with
  // sharp (they were, until 2026-12-06: 532 jobs queued when the login group started).
  await pool(uploaded, settings.workers, async (id) => {
    await processedLocation(`${ctx.local.url}/image/${id}`);
  });
  return [...bytes, ...flow];
}

/**
 * The floor for the bytes path, in this process: `workers` writers, each writing UPLOAD_BYTES to a temp file,
 * fsync, rename; timed in rounds of `putBatch` files like the PUTs, files removed between rounds (untimed).
 */
async function fsWrites(ctx: BenchContext, seconds: number): Promise<Sample> {
  const dir = await fs.mkdtemp(path.join(ctx.scratchDir, "fs-"));
  const latencies = new Latencies();
  let timedMs = 0;
  try {
    while (timedMs < seconds * 1000) {
      const names = Array.from({ length: ctx.settings.putBatch }, () => randomBytes(12).toString("base64url"));
      const t0 = performance.now();
      await pool(names, ctx.settings.workers, async (name) => {
        const start = performance.now();
        const temp = path.join(dir, `.${name}.tmp`);
        const handle = await fs.open(temp, "wx", 0o600);
        try {
          await handle.writeFile(ctx.png);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.rename(temp, path.join(dir, name));
        latencies.add(performance.now() - start);
      });
      timedMs += performance.now() - t0;
      await Promise.all(names.map((name) => fs.rm(path.join(dir, name))));
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return { latencies, seconds: timedMs / 1000 };
}

/**
 * The fair floor for a durable HTTP upload (issue 16): the same PUTs, in the same rounds, to bench/baseline-server.ts,
 * which streams the body to a temp file, fsyncs and renames it, with nothing else (no token, no limit, no sidecar).
 */
async function barePuts(ctx: BenchContext, seconds: number): Promise<Sample> {
  const latencies = new Latencies();
  let timedMs = 0;
  let serverCpuSeconds = 0;
  while (timedMs < seconds * 1000) {
    const names = Array.from({ length: ctx.settings.putBatch }, () => randomBytes(12).toString("base64url"));
    const t0 = performance.now();
    const cpu0 = cpuSecondsOf(ctx.baseline.pid) ?? 0;
    await pool(names, ctx.settings.workers, async (name) => {
      const start = performance.now();
      const response = await fetch(`${ctx.baseline.url}/upload/${name}`, {
        method: "PUT",
        headers: { "content-type": "image/png" },
        body: new Uint8Array(ctx.png),
      });
      await response.arrayBuffer();
      if (response.status !== 201) throw new ScenarioError(`baseline PUT answered ${response.status}`);
      latencies.add(performance.now() - start);
    });
    serverCpuSeconds += (cpuSecondsOf(ctx.baseline.pid) ?? cpu0) - cpu0;
    timedMs += performance.now() - t0;
  }
  return { latencies, seconds: timedMs / 1000, serverCpuSeconds };
}

/**
 * The bytes path alone: tickets are requested (untimed), their PUTs timed in a round with `workers` in
 * parallel, then completed (untimed) so the user's open tickets stay under the limit. Each completion queues an
 * image-processing job for the server's embedded worker; the round waits (untimed) until the batch's images are
 * processed, so that sharp's work on them never lands in a timed PUT window or in another scenario's round.
 */
async function puts(ctx: BenchContext, seconds: number): Promise<Sample> {
  const { url } = ctx.local;
  const { apiKey } = ctx.users.putter;
  const latencies = new Latencies();
  let timedMs = 0;
  let serverCpuSeconds = 0;
  while (timedMs < seconds * 1000) {
    const tickets = await Promise.all(
      Array.from({ length: ctx.settings.putBatch }, () => requestUpload(url, apiKey, ctx.png, "image/png")),
    );
    const t0 = performance.now();
    const cpu0 = cpuSecondsOf(ctx.local.pid) ?? 0;
    await pool(tickets, ctx.settings.workers, async (ticket) => {
      const start = performance.now();
      await putBytes(ticket, ctx.png);
      latencies.add(performance.now() - start);
    });
    serverCpuSeconds += (cpuSecondsOf(ctx.local.pid) ?? cpu0) - cpu0;
    timedMs += performance.now() - t0;
    await pool(tickets, ctx.settings.workers, async (ticket) => {
      const id = await completeUpload(url, apiKey, ticket.uploadId);
      await processedLocation(`${url}/image/${id}`);
    });
  }
  return { latencies, seconds: timedMs / 1000, serverCpuSeconds };
}
