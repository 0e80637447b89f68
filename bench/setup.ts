import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import sharp from "sharp";
import { buildServer, bundle } from "../scripts/build-server.js";
import { startTestRedis, freePort } from "../test/support/redis-server.js";
import { startS3rver } from "../test/support/s3rver.js";
import { type BenchUser, myImages, processedLocation, registerUser, uploadImage } from "./api.js";
import type { Settings } from "./options.js";
import { type Cleanup, type ChildServer, REPO_ROOT, startChild } from "./processes.js";
import { type BenchContext, UPLOAD_BYTES } from "./scenarios.js";
import { pngOfExactSize, seedImages } from "./seed.js";

// The bench's processes and data, for bench/run.ts.

/** Where the bundled baseline server goes (two levels below the checkout, like dist/server/). */
const BASELINE_DIR = path.join(REPO_ROOT, "dist/bench");

/**
 * Starts Redis, s3rver, the two ImageHost servers (the `npm run build` bundle, local and s3 drivers) and the
 * baseline server as child processes, each registered with `cleanup`, and seeds the users and images the
 * scenarios need.
 */
export async function setUp(
  settings: Settings,
  cleanup: Cleanup,
  log: (message: string) => void,
): Promise<BenchContext> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "ih-bench-"));
  cleanup.add("temp dir", () => fs.rm(root, { recursive: true, force: true }));
  log(`temp dir ${root}`);

  log("starting redis-server and s3rver");
  const redis = await startTestRedis();
  cleanup.add("redis-server", () => redis.destroy());
  const s3 = await startS3rver({ bucket: "imagehost-bench" });
  cleanup.add("s3rver", () => s3.stop());
  log(`redis-server on ${redis.url}, s3rver on ${s3.endpoint}`);

  const [localPort, s3Port, baselinePort] = [await freePort(), await freePort(), await freePort()];
  const common = {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    REDIS_URL: redis.url,
    // LOG_LEVEL unset: the default level, as `npm start` and the deploy kit run it (one access-log line per request).
    BCRYPT_COST: String(settings.bcryptCost),
    // Every request comes from 127.0.0.1: per-IP and per-user abuse limits would end the seeding and the login loop.
    REGISTRATIONS_PER_IP: "1000000",
    LOGIN_FAILURES_PER_IP: "1000000",
    LOGIN_FAILURES_PER_USER: "1000000",
    // The PUT scenario holds a batch of tickets open; quotas would end long runs.
    MAX_OPEN_UPLOADS: "1000",
    QUOTA_IMAGES: "1000000000",
    QUOTA_BYTES: String(2 ** 50),
    // The live group holds 1,000 idle subscriptions of one user (the most the config allows per user and node).
    WS_MAX_CONNECTIONS_PER_USER: "1000",
  };
  // As deployed: the servers run the `npm run build` bundle under plain node; the baseline is bundled the same way,
  // so neither pays tsx's loader.
  log("bundling the server and the baseline (npm run build's server half)");
  await Promise.all([buildServer(), bundle([path.join(REPO_ROOT, "bench/baseline-server.ts")], BASELINE_DIR)]);
  const baselineUploads = path.join(root, "baseline-uploads");
  await fs.mkdir(baselineUploads);
  const profile = await profileFlags(settings, log);
  log("starting the servers (local driver, s3 driver) and the baseline server");
  const [local, s3Server, baseline] = await Promise.all([
    startChild(
      {
        name: "server (local)",
        script: "dist/server/main.js",
        port: localPort,
        readyPath: "/health",
        nodeFlags: profile("local"),
        env: {
          ...common,
          PORT: String(localPort),
          DATA_DIR: path.join(root, "data-local"),
          STORAGE_DRIVER: "local",
          // The two servers share one Redis but not their storage: each needs its own job queue.
          QUEUE_NAME: "bench-local",
        },
      },
      cleanup,
    ),
    startChild(
      {
        name: "server (s3)",
        script: "dist/server/main.js",
        port: s3Port,
        readyPath: "/health",
        nodeFlags: profile("s3"),
        env: {
          ...common,
          PORT: String(s3Port),
          DATA_DIR: path.join(root, "data-s3"),
          STORAGE_DRIVER: "s3",
          QUEUE_NAME: "bench-s3",
          S3_BUCKET: s3.bucket,
          S3_ENDPOINT: s3.endpoint,
          S3_REGION: "us-east-1",
          S3_FORCE_PATH_STYLE: "true",
          S3_ACCESS_KEY_ID: "S3RVER",
          S3_SECRET_ACCESS_KEY: "S3RVER",
        },
      },
      cleanup,
    ),
    startChild(
      {
        name: "baseline server",
        script: "dist/bench/baseline-server.js",
        port: baselinePort,
        readyPath: "/health",
        env: {
          NODE_ENV: "production",
          PORT: String(baselinePort),
          REDIS_URL: redis.url,
          PUBLIC_URL: `http://127.0.0.1:${localPort}`,
          // Same filesystem as the servers' DATA_DIR, so the upload floors compare like with like.
          UPLOAD_DIR: baselineUploads,
        },
      },
      cleanup,
    ),
  ]);
  for (const server of [local, s3Server, baseline]) {
    log(
      `${server.name}: pid ${server.pid} at ${server.url}, RSS at start ${((server.rss() ?? 0) / 2 ** 20).toFixed(0)} MB`,
    );
  }

  const seeding = new Redis(redis.url);
  cleanup.add("seeding connection", async () => {
    seeding.disconnect();
  });
  const { filePaths, ...users } = await seed(settings, local, seeding, log);
  const redirectIds = await seedImages(seeding, users.redirects.userId, settings.redirectIds, Date.now() - 3_600_000);
  seeding.disconnect();

  return {
    settings,
    redisUrl: redis.url,
    local,
    s3: s3Server,
    baseline,
    redirectPaths: redirectIds.map((id) => `/image/${id}`),
    filePaths,
    users,
    png: await pngOfExactSize(UPLOAD_BYTES),
    scratchDir: root,
    log,
  };
}

async function seed(
  settings: Settings,
  local: ChildServer,
  redis: Redis,
  log: (message: string) => void,
): Promise<BenchContext["users"] & { redirects: BenchUser; filePaths: string[] }> {
  const t0 = performance.now();
  // Registration is bcrypt-bound: a few users in parallel keep it short.
  const names = ["redirects", "twenty", "small", "big", "uploader", "putter", "login", "idle"] as const;
  const registered = await Promise.all(names.map((name) => registerUser(local.url, `bench_${name}`)));
  const users = Object.fromEntries(names.map((name, i) => [name, registered[i]!])) as Record<
    (typeof names)[number],
    BenchUser
  >;
  log(`registered ${names.length} users through the API in ${seconds(t0)}`);

  // Exactly 20 real uploads through the API, so GraphQL and REST return the same 20 images.
  const t1 = performance.now();
  const small = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .png()
    .toBuffer();
  const filePaths: string[] = [];
  for (let i = 0; i < 20; i++) {
    const id = await uploadImage(local.url, users.twenty.apiKey, small, "image/png");
    filePaths.push(new URL(await processedLocation(`${local.url}/image/${id}`), local.url).pathname);
  }
  log(`uploaded 20 images through the API in ${seconds(t1)}`);

  // The first-page pair: written straight into Redis (see bench/seed.ts for why), then checked through the API.
  for (const [user, count] of [
    [users.small, settings.smallList],
    [users.big, settings.bigList],
  ] as const) {
    const t2 = performance.now();
    const ids = await seedImages(redis, user.userId, count, Date.now());
    const page = await myImages(local.url, user.apiKey, 20);
    if (page.totalCount !== count || page.ids[0] !== ids[0] || page.ids.length !== Math.min(20, count)) {
      throw new Error(
        `seeded ${count} images for ${user.username}, but myImages reports ${page.totalCount} starting with ${page.ids[0]}`,
      );
    }
    log(
      `seeded ${count.toLocaleString("en-US")} image records into Redis in ${seconds(t2)} (checked through myImages)`,
    );
  }
  return { ...users, filePaths };
}

/** `--cpu-prof`: node flags for each ImageHost server, one directory per server. */
async function profileFlags(settings: Settings, log: (message: string) => void): Promise<(name: string) => string[]> {
  if (settings.cpuProfDir === null) return () => [];
  const base = path.resolve(
    settings.cpuProfDir === "" ? await fs.mkdtemp(path.join(os.tmpdir(), "ih-bench-profiles-")) : settings.cpuProfDir,
  );
  log(
    `CPU profiles of the servers go to ${base}/{local,s3} when they exit (summarize: npx tsx bench/cpu-profile-top.ts <file>)`,
  );
  return (name) => ["--cpu-prof", `--cpu-prof-dir=${path.join(base, name)}`];
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}
