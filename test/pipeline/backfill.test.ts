import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackfillReport } from "../../server/services/backfill.service.js";
import type { ImageRecord } from "../../server/ports/image-store.js";
import { QUEUE_PREFIX } from "../../server/queue/bullmq-job-queue.js";
import { redisKeys } from "../../server/redis/keys.js";
import { imageFields } from "../../server/redis/image-record-fields.js";
import { newId } from "../../server/services/credentials.js";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { loadOrCreateSigningSecret } from "../../server/storage/signing-secret.js";
import { gql } from "../support/graphql.js";
import { leakedMetadata, leakyJpeg, leakyPng } from "../support/metadata.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic } from "../support/uploads.js";
import { registerUser } from "../support/upload-setups.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const STATUS = `query($id: ID!) { image(id: $id) { status variants { width url } } }`;
/** Includes `npm run worker` starting under tsx on a loaded machine. */
const PROCESSED_DEADLINE_MS = 120_000;

interface Seeded {
  id: string;
  url: string;
  bytes: Buffer;
}

/**
 * Issue 13 point 7: `npm run backfill` against records and bytes written the way versions before the pipeline wrote
 * them. On a Redis of its own: the backfill walks every record, and other test files' records are not its to queue.
 * The API node runs no worker, so what is served while the jobs wait can be looked at without racing them.
 */
describe("npm run backfill", () => {
  let redis: TestRedis;
  let client: Redis;
  let server: TestApp;
  let queue: Queue;
  let worker: ChildProcess | undefined;
  const queueName = `backfill-${newId()}`;
  const legacy: Seeded[] = [];
  let failed: Seeded;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = new Redis(redis.url);
    server = await startTestApp({ REDIS_URL: redis.url, WORKERS: "0", QUEUE_NAME: queueName });
    queue = new Queue(queueName, { connection: { url: redis.url }, prefix: QUEUE_PREFIX });
    const { userId: ownerId } = await registerUser(server.baseUrl, "backfill");
    const blobs = new LocalBlobStore({
      root: path.join(server.dataDir, "blobs"),
      publicUrl: server.baseUrl,
      signingSecret: await loadOrCreateSigningSecret(server.dataDir, null),
    });
    const seed = async (bytes: Buffer, contentType: string, processing: ImageRecord["processing"]) => {
      const id = newId();
      // Pre-pipeline uploads were promoted to `img/<id>` and recorded with no processing fields at all.
      const storageKey = processing ? `orig/${id}` : `img/${id}`;
      await blobs.put(storageKey, bytes, contentType);
      const image: ImageRecord = {
        id,
        ownerId,
        key: storageKey,
        filename: `old-${id}`,
        contentType,
        size: bytes.length,
        width: 1,
        height: 1,
        createdAt: Date.now(),
        visibility: "public",
        status: "live",
        processing,
      };
      await client.hset(redisKeys.image(id), imageFields(image));
      await client.zadd(redisKeys.userImages(ownerId), image.createdAt, id);
      return { id, url: `${server.baseUrl}/image/${id}`, bytes };
    };
    legacy.push(await seed(await leakyJpeg(640, 480, 6), "image/jpeg", null));
    legacy.push(await seed(await leakyJpeg(400, 300), "image/jpeg", null));
    legacy.push(await seed(await leakyPng(), "image/png", null));
    const failure = { status: "FAILED", failureReason: "worker crashed", placeholder: null } as const;
    failed = await seed(await leakyJpeg(), "image/jpeg", {
      ...failure,
      publicKey: null,
      publicSize: null,
      variants: [],
    });
  });
  afterAll(async () => {
    if (worker?.pid) process.kill(-worker.pid, "SIGKILL");
    await queue?.close();
    client?.disconnect();
    await server?.close();
    await redis?.destroy();
  });

  /** Runs `npm run backfill` against the server's Redis, data and queue; its report and its progress lines. */
  async function backfill(...args: string[]): Promise<{ report: BackfillReport; progress: string }> {
    const { stdout, stderr } = await run("npm", ["run", "--silent", "backfill", "--", ...args], {
      cwd: root,
      env: { ...process.env, REDIS_URL: redis.url, DATA_DIR: server.dataDir, QUEUE_NAME: queueName },
    });
    return { report: JSON.parse(stdout) as BackfillReport, progress: stderr };
  }

  const status = async (id: string) =>
    (
      await gql<{ image: { status: string; variants: { width: number; url: string }[] } }>(server.baseUrl, STATUS, {
        id,
      })
    ).data!.image;
  const jobs = async () =>
    Object.values(await queue.getJobCounts("waiting", "active", "delayed")).reduce((a, b) => a + b);

  /** The link still redirects to the bytes exactly as uploaded: no 503 while the job waits. */
  async function expectServedAsUploaded(image: Seeded): Promise<void> {
    const served = await fetchPublic(image.url);
    expect(served.status).toBe(200);
    expect(served.bytes.equals(image.bytes)).toBe(true);
  }

  it("--dry-run counts what it would queue and changes nothing", async () => {
    const { report } = await backfill("--dry-run");
    expect(report).toMatchObject({ dryRun: true, scanned: 4, unprocessed: 3, failed: 1, ready: 0, queued: 0 });
    expect(await jobs()).toBe(0);
    for (const image of legacy) expect((await status(image.id)).status).toBe("READY"); // unprocessed reads READY
    expect((await status(failed.id)).status).toBe("FAILED");
  });

  it("queues every never-processed image, which stays served as uploaded until its job has run", async () => {
    const { report, progress } = await backfill();
    expect(report).toMatchObject({ dryRun: false, unprocessed: 3, failed: 1, queued: 3 });
    expect(progress).toContain("queued 3/3");
    expect(await jobs()).toBe(3);
    for (const image of legacy) {
      expect((await status(image.id)).status).toBe("PROCESSING");
      await expectServedAsUploaded(image);
    }
    expect((await status(failed.id)).status).toBe("FAILED");
  });

  it("queues nothing new when run again", async () => {
    const { report } = await backfill();
    expect(report).toMatchObject({ unprocessed: 0, processing: 3, failed: 1, queued: 0 });
    expect(await jobs()).toBe(3);
  });

  it("queues FAILED images again with --retry-failed", async () => {
    const { report } = await backfill("--retry-failed");
    expect(report).toMatchObject({ retryFailed: true, failed: 1, queued: 1 });
    expect((await status(failed.id)).status).toBe("PROCESSING");
    expect(await jobs()).toBe(4);
  });

  it("ends with every image READY: upright, metadata stripped, with thumbnails; a last run queues nothing", async () => {
    worker = spawn("npm", ["run", "--silent", "worker"], {
      cwd: root,
      detached: true,
      stdio: "ignore",
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        DATA_DIR: server.dataDir,
        QUEUE_NAME: queueName,
        LOG_LEVEL: "silent",
      },
    });
    const deadline = Date.now() + PROCESSED_DEADLINE_MS;
    for (const image of [...legacy, failed]) {
      while ((await status(image.id)).status === "PROCESSING") {
        if (Date.now() > deadline) throw new Error(`image ${image.id} still PROCESSING`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const done = await status(image.id);
      expect(done.status).toBe("READY");
      expect(done.variants.map((v) => v.url)).toContain(`${image.url}/w320`);
      const served = await fetchPublic(image.url);
      expect(served.status).toBe(200);
      expect(await leakedMetadata(served.bytes)).toEqual([]);
      expect((await fetchPublic(done.variants[0]!.url)).status).toBe(200);
    }
    // The first was 640×480 with EXIF orientation 6 (rotate 90°): served upright, 480×640.
    const upright = await fetchPublic(legacy[0]!.url);
    expect(await sharp(upright.bytes).metadata()).toMatchObject({ width: 480, height: 640 });

    const { report } = await backfill("--retry-failed");
    expect(report).toMatchObject({ scanned: 4, ready: 4, queued: 0 });
  }, 180_000);
});
