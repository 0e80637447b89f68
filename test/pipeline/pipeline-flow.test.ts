import { randomBytes } from "node:crypto";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "../../server/ports/blob-store.js";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { gql } from "../support/graphql.js";
import { makeImage, pngHeaderClaiming } from "../support/images.js";
import { gifBomb, leakyJpeg } from "../support/metadata.js";
import { startTestRedisCluster, type TestRedisCluster } from "../support/redis-cluster.js";
import { rest } from "../rest/rest-client.js";
import { s3Env, startS3rver, type RunningS3rver } from "../support/s3rver.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { DELETE_IMAGE, PROCESSING_DEADLINE_MS, fetchPublic, uploadImage } from "../support/uploads.js";
import { registerApiKey } from "../support/upload-setups.js";

const PIPELINE_FIELDS = `id url width height contentType status failureReason placeholder
  variants { width height contentType size url }`;
const IMAGE = `query($id: ID!) { image(id: $id) { ${PIPELINE_FIELDS} } }`;

interface PipelineImage {
  id: string;
  url: string;
  width: number;
  height: number;
  contentType: string;
  status: "PROCESSING" | "READY" | "FAILED";
  failureReason: string | null;
  placeholder: string | null;
  variants: { width: number; height: number; contentType: string; size: number; url: string }[];
}

/** The pipeline end to end (issue 13): upload → PROCESSING → READY or FAILED, serving, delete; both drivers, Cluster. */
const SETUPS = [
  { name: "local driver", driver: "local", cluster: false },
  { name: "s3 driver", driver: "s3", cluster: false },
  { name: "local driver on a 3-master Redis Cluster", driver: "local", cluster: true },
] as const;

describe.each(SETUPS)("image pipeline with the $name", ({ driver, cluster }) => {
  let server: TestApp;
  let s3: RunningS3rver | undefined;
  let redisCluster: TestRedisCluster | undefined;
  let blobs: BlobStore;
  let key: string;

  beforeAll(async () => {
    let env: Record<string, string> = {};
    if (cluster) {
      redisCluster = await startTestRedisCluster();
      env = { ...env, REDIS_CLUSTER_NODES: redisCluster.nodes };
    }
    if (driver === "s3") {
      s3 = await startS3rver();
      env = { ...env, ...s3Env(s3) };
    }
    server = await startTestApp(env);
    blobs =
      s3 !== undefined
        ? new S3BlobStore(s3.config)
        : new LocalBlobStore({
            root: path.join(server.dataDir, "blobs"),
            publicUrl: server.baseUrl,
            signingSecret: randomBytes(32),
          });
    key = await registerApiKey(server.baseUrl, "pipe");
  });
  afterAll(async () => {
    if (blobs instanceof S3BlobStore) blobs.close();
    await server?.close();
    await s3?.stop();
    await redisCluster?.destroy();
  });

  async function image(id: string): Promise<PipelineImage> {
    const result = await gql<{ image: PipelineImage }>(server.baseUrl, IMAGE, { id }, key);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return result.data!.image;
  }

  /** Polls the record until it leaves PROCESSING. */
  async function settled(id: string): Promise<PipelineImage> {
    const deadline = Date.now() + PROCESSING_DEADLINE_MS;
    for (;;) {
      const found = await image(id);
      if (found.status !== "PROCESSING" || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function storedKeys(id: string): Promise<string[]> {
    const keys: string[] = [];
    for (const prefix of ["up/", "orig/", "img/"])
      for await (const object of blobs.list(prefix)) if (object.key.includes(id)) keys.push(object.key);
    return keys.sort();
  }

  it("makes an upright public image, WebP thumbnails never upscaled and a placeholder, then serves them", async () => {
    const uploaded = await uploadImage(server.baseUrl, key, await leakyJpeg(1600, 400, 6), "image/jpeg");
    const ready = await settled(uploaded.id);
    expect(ready).toMatchObject({ status: "READY", failureReason: null, width: 400, height: 1600 });
    expect(Buffer.from(ready.placeholder!, "base64").length).toBeGreaterThan(5);
    expect(Buffer.from(ready.placeholder!, "base64").length).toBeLessThan(64);
    // 400 px wide: one 320 px thumbnail; 1280 would be an upscale, so there is no second one.
    expect(ready.variants).toEqual([
      {
        width: 320,
        height: 1280,
        contentType: "image/webp",
        size: expect.any(Number),
        url: `${server.baseUrl}/image/${uploaded.id}/w320`,
      },
    ]);
    const served = await fetchPublic(ready.url);
    expect(served.status).toBe(200);
    const meta = await sharp(served.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 400, 1600]);
    const thumb = await fetchPublic(ready.variants[0]!.url);
    expect(thumb.status).toBe(200);
    expect(thumb.bytes.length).toBe(ready.variants[0]!.size);
    const thumbMeta = await sharp(thumb.bytes).metadata();
    expect([thumbMeta.format, thumbMeta.width, thumbMeta.height]).toEqual(["webp", 320, 1280]);
    // The original is gone once the public image exists (KEEP_ORIGINALS is off).
    expect(await storedKeys(uploaded.id)).toEqual([`img/${uploaded.id}-public`, `img/${uploaded.id}-w320`]);
    // REST lists the status and the smallest thumbnail, next to every field it had before.
    const listed = await rest<{ items: Record<string, unknown>[] }>(server.baseUrl, "GET", "/api/v1/me/images", {
      key,
    });
    expect(listed.body.items.find((item) => item.id === uploaded.id)).toMatchObject({
      url: ready.url,
      mime: "image/jpeg",
      width: 400,
      height: 1600,
      status: "ready",
      thumbnail_url: ready.variants[0]!.url,
    });
  });

  it("makes both thumbnails, smallest first, for a large image", async () => {
    const uploaded = await uploadImage(server.baseUrl, key, await makeImage("png", 1500, 1000), "image/png");
    const ready = await settled(uploaded.id);
    expect(ready.variants.map((v) => [v.width, v.height])).toEqual([
      [320, 213],
      [1280, 853],
    ]);
    expect((await fetchPublic(ready.variants[1]!.url)).status).toBe(200);
  });

  it("ends a poison image and a decompression bomb in FAILED with a reason, serving neither", async () => {
    const poison = await uploadImage(server.baseUrl, key, pngHeaderClaiming(50, 40), "image/png");
    const bomb = await uploadImage(server.baseUrl, key, await gifBomb(), "image/gif");
    const [poisoned, bombed] = await Promise.all([settled(poison.id), settled(bomb.id)]);
    expect(poisoned).toMatchObject({ status: "FAILED", variants: [], placeholder: null });
    expect(poisoned.failureReason).toMatch(/could not be decoded/);
    expect(bombed).toMatchObject({ status: "FAILED" });
    expect(bombed.failureReason).toMatch(/larger than 40 megapixels/);
    for (const failed of [poisoned, bombed]) {
      expect((await fetch(failed.url, { redirect: "manual" })).status).toBe(404);
      expect((await fetch(`${failed.url}/w320`, { redirect: "manual" })).status).toBe(404);
    }
  });

  it("deletes the public image and every thumbnail with the image", async () => {
    const uploaded = await uploadImage(server.baseUrl, key, await makeImage("jpeg", 1400, 700), "image/jpeg");
    const ready = await settled(uploaded.id);
    expect(await storedKeys(uploaded.id)).toHaveLength(3);
    const deleted = await gql(server.baseUrl, DELETE_IMAGE, { id: uploaded.id }, key);
    expect(deleted.errors).toBeUndefined();
    expect(await storedKeys(uploaded.id)).toEqual([]);
    for (const url of [ready.url, ...ready.variants.map((v) => v.url)])
      expect((await fetch(url, { redirect: "manual" })).status).toBe(404);
  });
});
