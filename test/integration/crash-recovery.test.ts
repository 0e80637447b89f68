import { execFile } from "node:child_process";
import { utimes } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { BlobStore } from "../../server/ports/blob-store.js";
import type { JobQueue } from "../../server/ports/job-queue.js";
import type { BullMqJobQueue } from "../../server/queue/bullmq-job-queue.js";
import { newId } from "../../server/services/credentials.js";
import { Sweeper } from "../../server/services/sweeper.service.js";
import { crashHarness, failing } from "../support/crash-harness.js";
import { makeImage } from "../support/images.js";
import type { TestApp } from "../support/test-app.js";
import { sendBytes } from "../support/uploads.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * SEC-15/SEC-16: interrupt the flows between their steps (a wrapper around the real adapter that fails one chosen call,
 * as a crash would), then check what users see and that retrying or the sweeper repairs it. Runs on the real
 * Redis and the real local blob store behind a real server (for the upload URLs).
 */
describe.each(["local", "s3"] as const)("crash ordering and the sweeper (SEC-15, SEC-16), %s driver", (driver) => {
  let clock = Date.now();
  const { handle, imageStore, service, viewer, uploaded } = crashHarness(driver, () => clock);
  let server: TestApp;
  let blobs: BlobStore;
  let jobs: BullMqJobQueue;
  beforeAll(() => {
    ({ server, blobs, jobs } = handle);
  });

  // S3 upload URLs can be reused until they expire (local ones cannot overwrite); RGW ignores copy preconditions.
  if (driver === "s3")
    it("a rewrite of the upload between its check and its promotion is refused, and never served (SEC-11)", async () => {
      clock = Date.now();
      const user = await viewer();
      // A POST form takes any length up to the limit, so a different valid image can be swapped in.
      const { uploadId, ticket } = await uploaded(service().uploads, user, { method: "POST", size: null });
      const swapped = await makeImage("png", 33, 17);
      let swaps = 0;
      const swapping = new Proxy(blobs, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (typeof value !== "function") return value;
          if (prop !== "promote") return value.bind(target);
          // The client reuses its upload URL after completeUpload looked at the object, before it is moved.
          return async (...args: unknown[]) => {
            if (swaps++ === 0) expect((await sendBytes(ticket, swapped)).ok).toBe(true);
            return value.apply(target, args);
          };
        },
      });
      const { images, uploads } = service(imageStore(), swapping);
      await expect(uploads.completeUpload(user, uploadId)).rejects.toMatchObject({
        code: "BAD_USER_INPUT",
        message: expect.stringMatching(/changed/),
      });
      expect(await images.getImage(user, uploadId)).toBeNull();
      expect(await blobs.stat(`orig/${uploadId}`)).toBeNull();
      // Completing again checks, promotes and serves exactly the bytes now uploaded.
      const image = await uploads.completeUpload(user, uploadId);
      expect([image.width, image.height]).toEqual([33, 17]);
      const served = await fetch((await blobs.downloadUrl(image.key, image.contentType)).url);
      expect(Buffer.from(await served.arrayBuffer()).equals(swapped)).toBe(true);
    });

  it("expires tickets: completing after 15 minutes is NOT_FOUND, and the sweeper then removes the bytes", async () => {
    clock = Date.now();
    const { images, uploads } = service();
    const user = await viewer();
    const { uploadId } = await uploaded(uploads, user);
    clock += 15 * 60_000 + 1;
    await expect(uploads.completeUpload(user, uploadId)).rejects.toMatchObject({ code: "NOT_FOUND" });

    const key = `up/${uploadId}`;
    // Too young to be sure the upload is abandoned: left alone.
    expect(
      (await new Sweeper(imageStore(), blobs, images, () => Date.now()).sweep({ dryRun: false })).orphansDeleted,
    ).not.toContain(key);
    const later = new Sweeper(imageStore(), blobs, images, () => Date.now() + 21 * 60_000);
    const dry = await later.sweep({ dryRun: true });
    expect(dry.orphansDeleted).toContain(key);
    expect(await blobs.stat(key)).not.toBeNull();
    const wet = await later.sweep({ dryRun: false });
    expect(wet.orphansDeleted).toContain(key);
    expect(await blobs.stat(key)).toBeNull();
  });

  it("a crash between recording and listing leaves a public, unlisted image that a retry or the sweeper lists once", async () => {
    clock = Date.now();
    const user = await viewer();
    const crashing = service(failing(imageStore(), "listImage"));
    const { uploadId } = await uploaded(crashing.uploads, user);
    await expect(crashing.uploads.completeUpload(user, uploadId)).rejects.toThrow(/simulated crash/);

    const { images, uploads } = service();
    expect(await images.getImage(null, uploadId)).not.toBeNull(); // bytes before record: the record points at real bytes
    expect((await images.listImages(user, 10, null)).images).toEqual([]);
    const report = await new Sweeper(imageStore(), blobs, images).sweep({ dryRun: false });
    expect(report.relisted).toContain(uploadId);
    const page = await images.listImages(user, 10, null);
    expect(page.images.map((i) => i.id)).toEqual([uploadId]);
    expect(await page.countAll()).toBe(1);
    // Retrying complete now returns the same image and counts nothing twice (SEC-15).
    expect((await uploads.completeUpload(user, uploadId)).id).toBe(uploadId);
    expect(await (await images.listImages(user, 10, null)).countAll()).toBe(1);
    expect(report.requeued).toContain(uploadId); // the job the crash never queued
  });

  it("a crash before the job is queued leaves the image PROCESSING; retrying complete queues it once", async () => {
    clock = Date.now();
    const user = await viewer();
    const crashing = service(imageStore(), blobs, failing<JobQueue>(jobs, "enqueue"));
    const { uploadId } = await uploaded(crashing.uploads, user);
    const before = await jobs.pendingCount();
    await expect(crashing.uploads.completeUpload(user, uploadId)).rejects.toThrow(/simulated crash/);
    expect(await jobs.pendingCount()).toBe(before);
    const { images, uploads } = service();
    expect((await uploads.completeUpload(user, uploadId)).processing?.status).toBe("PROCESSING");
    expect(await uploads.completeUpload(user, uploadId)).toMatchObject({ id: uploadId });
    expect(await jobs.pendingCount()).toBe(before + 1);
    expect(await images.links.resolve(uploadId, null, null)).toEqual({ kind: "processing" });
  });

  it("a crash while deleting the bytes leaves the image unserved; the sweeper finishes the delete", async () => {
    clock = Date.now();
    const user = await viewer();
    const { images, uploads } = service();
    const { uploadId } = await uploaded(uploads, user);
    await uploads.completeUpload(user, uploadId);
    const crashing = service(imageStore(), failing<BlobStore>(blobs, "delete"));
    await expect(crashing.images.deleteImage(user, uploadId)).rejects.toThrow(/simulated crash/);

    expect(await images.downloadUrl(uploadId)).toBeNull();
    expect(await images.getImage(null, uploadId)).toBeNull();
    expect(await blobs.stat(`orig/${uploadId}`)).not.toBeNull(); // an orphan object, never a record without bytes
    const report = await new Sweeper(imageStore(), blobs, images).sweep({ dryRun: false });
    expect(report.deletesFinished).toContain(uploadId);
    expect(await blobs.stat(`orig/${uploadId}`)).toBeNull();
    expect(await imageStore().findImage(uploadId)).toBeNull();
    expect(await (await images.listImages(user, 10, null)).countAll()).toBe(0);
  });

  it("a crash after the bytes are gone leaves a tombstone that deleting again clears", async () => {
    clock = Date.now();
    const user = await viewer();
    const { images, uploads } = service();
    const { uploadId } = await uploaded(uploads, user);
    await uploads.completeUpload(user, uploadId);
    const crashing = service(failing(imageStore(), "removeImage"));
    await expect(crashing.images.deleteImage(user, uploadId)).rejects.toThrow(/simulated crash/);
    expect(await images.downloadUrl(uploadId)).toBeNull();
    await images.deleteImage(user, uploadId);
    expect(await imageStore().findImage(uploadId)).toBeNull();
    expect(await (await images.listImages(user, 10, null)).countAll()).toBe(0);
  });

  // The command itself, once: it is the same on both drivers.
  if (driver === "local")
    it("npm run sweep -- --dry-run reports as JSON what it would repair, and changes nothing", async () => {
      clock = Date.now();
      const user = await viewer();
      // Something for each kind of repair: an abandoned upload, an unlisted image, an interrupted delete.
      const abandoned = `up/${newId()}`;
      await blobs.put(abandoned, await makeImage("png"), "image/png");
      const old = new Date(Date.now() - 3600_000);
      await utimes(path.join(server.dataDir, "blobs", abandoned), old, old);
      const unlisting = service(failing(imageStore(), "listImage"));
      const { uploadId: unlisted } = await uploaded(unlisting.uploads, user);
      await expect(unlisting.uploads.completeUpload(user, unlisted)).rejects.toThrow(/simulated crash/);
      const { images, uploads } = service();
      const { uploadId: deleting } = await uploaded(uploads, user);
      const { key: deletingKey } = await uploads.completeUpload(user, deleting);
      await expect(
        service(imageStore(), failing<BlobStore>(blobs, "delete")).images.deleteImage(user, deleting),
      ).rejects.toThrow(/simulated crash/);

      const { stdout } = await promisify(execFile)("npm", ["run", "--silent", "sweep", "--", "--dry-run"], {
        cwd: root,
        env: { ...process.env, REDIS_URL: inject("redisUrl"), DATA_DIR: server.dataDir, LOG_LEVEL: "silent" },
      });
      const report = JSON.parse(stdout);
      expect(report.dryRun).toBe(true);
      expect(report.scanned).toBeGreaterThanOrEqual(3);
      expect(report.orphansDeleted).toContain(abandoned);
      expect(report.relisted).toContain(unlisted);
      expect(report.requeued).toContain(unlisted);
      expect(report.deletesFinished).toContain(deleting);

      // Nothing it reported was done.
      expect(await blobs.stat(abandoned)).not.toBeNull();
      expect((await images.listImages(user, 10, null)).images.map((image) => image.id)).not.toContain(unlisted);
      expect(await imageStore().findImage(deleting)).toMatchObject({ status: "deleting" });
      expect(await blobs.stat(deletingKey)).not.toBeNull();
    });
});
