import { beforeAll, describe, expect, it } from "vitest";
import type { ImageRecord, ImageStore } from "../../server/ports/image-store.js";
import { newId } from "../../server/services/credentials.js";
import { atMost, image, ticket } from "./metadata-records.js";
import type { MetadataStores } from "./metadata-store.js";

/**
 * Image records (create, completion claims, paging, deletion, processing states), part of the metadata-store
 * contract: the same code must pass on every implementation (on Redis: single and Cluster, no CROSSSLOT).
 */
export function defineImageStoreContract(stores: () => MetadataStores) {
  describe("images", () => {
    let images: ImageStore;
    beforeAll(() => {
      ({ images } = stores());
    });

    it("creates one record out of concurrent creates and lists and counts it once", async () => {
      const ownerId = newId();
      const t = ticket(ownerId);
      await images.openTicket(t, atMost(10));
      const candidate = image(ownerId, { id: t.uploadId, key: t.key, size: 77 });
      const created = await Promise.all(
        Array.from({ length: 5 }, (_, i) => images.createImage({ ...candidate, width: i + 1 })),
      );
      expect(new Set(created.map((c) => c.width)).size).toBe(1);
      await Promise.all(created.map((c) => images.listImage(c)));
      expect(await images.usage(ownerId)).toEqual({ images: 1, bytes: 77 });
      expect(await images.isListed(created[0]!)).toBe(true);
      expect(await images.findTicket(ownerId, t.uploadId)).toBeNull(); // listing closes the ticket
      expect(await images.openTicket(ticket(ownerId), atMost(1))).toBe("opened"); // and frees its slot
    });

    it("grants one completion claim at a time, until released or run out", async () => {
      const userId = newId();
      const uploadId = newId();
      const claims = await Promise.all(
        Array.from({ length: 5 }, () => images.claimCompletion(userId, uploadId, 60_000)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      await images.releaseCompletion(userId, uploadId);
      expect(await images.claimCompletion(userId, uploadId, 100)).toBe(true);
      await new Promise((r) => setTimeout(r, 150));
      expect(await images.claimCompletion(userId, uploadId, 100)).toBe(true);
    });

    it("pages newest first, also through images that share a timestamp", async () => {
      const ownerId = newId();
      const made: ImageRecord[] = [];
      for (let i = 0; i < 7; i++) made.push(image(ownerId, { createdAt: 1_000_000 + Math.floor(i / 3) }));
      for (const m of made) await images.listImage(await images.createImage(m));
      const seen: string[] = [];
      let after: { createdAt: number; id: string } | null = null;
      for (;;) {
        const page: { images: ImageRecord[]; hasMore: boolean } = await images.listImages(ownerId, 2, after);
        seen.push(...page.images.map((i) => i.id));
        if (!page.hasMore) break;
        const last = page.images.at(-1)!;
        after = { createdAt: last.createdAt, id: last.id };
      }
      const expected = [...made].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((m) => m.id);
      expect(seen).toEqual(expected);
    });

    it("lists every record exactly as findImage reads it, whatever its fields and state", async () => {
      const ownerId = newId();
      const variant = { name: "w320", key: "img/x-w320", width: 320, height: 200, contentType: "image/webp", size: 9 };
      const at = 2_000_000;
      const legacy = image(ownerId, { createdAt: at, filename: 'quo"te\\ back/slash é 🙂\n\u0001.png' });
      const processing = image(ownerId, { createdAt: at + 1, key: `orig/${newId()}`, visibility: "private" });
      const ready = image(ownerId, { createdAt: at + 2, key: `orig/${newId()}`, filename: "" });
      const failed = image(ownerId, { createdAt: at + 3, key: `orig/${newId()}` });
      for (const made of [legacy, processing, ready, failed]) await images.listImage(await images.createImage(made));
      for (const made of [processing, ready, failed]) await images.markProcessing(made.id);
      await images.markReady(ready.id, {
        originalKey: ready.key,
        publicKey: `img/${ready.id}-public`,
        publicSize: 77,
        width: 320,
        height: 200,
        placeholder: "AbCd",
        variants: [variant],
      });
      await images.markFailed(failed.id, "Not an image: 'x' \"y\"");
      const listed = (await images.listImages(ownerId, 10, null)).images;
      const found = await Promise.all([failed, ready, processing, legacy].map((made) => images.findImage(made.id)));
      expect(listed).toEqual(found);
      expect(listed.map((made) => made.processing?.status ?? null)).toEqual(["FAILED", "READY", "PROCESSING", null]);
      expect(listed[3]!.filename).toBe(legacy.filename);
    });

    it("marks, skips and removes images being deleted, uncounting once", async () => {
      const ownerId = newId();
      const keep = await images.createImage(image(ownerId, { size: 10 }));
      const gone = await images.createImage(image(ownerId, { size: 20 }));
      await images.listImage(keep);
      await images.listImage(gone);
      await images.markDeleting(gone.id);
      expect((await images.findImage(gone.id))!.status).toBe("deleting");
      expect((await images.listImages(ownerId, 10, null)).images.map((i) => i.id)).toEqual([keep.id]);
      await images.removeImage(gone);
      await images.removeImage(gone);
      expect(await images.findImage(gone.id)).toBeNull();
      expect(await images.usage(ownerId)).toEqual({ images: 1, bytes: 10 });
    });

    it("gives the redirect only live images' key and type", async () => {
      const ownerId = newId();
      const live = await images.createImage(image(ownerId, { contentType: "image/gif" }));
      expect(await images.findServable(live.id)).toEqual({
        state: "serve",
        key: live.key,
        contentType: "image/gif",
        visibility: "public",
        variants: [],
      });
      expect(await images.setVisibility(live.id, "private")).toBe(true);
      expect(await images.findServable(live.id)).toMatchObject({ visibility: "private" });
      expect(await images.findImage(live.id)).toMatchObject({ visibility: "private" });
      await images.markDeleting(live.id);
      expect(await images.findServable(live.id)).toBeNull();
      expect(await images.setVisibility(live.id, "public")).toBe(false);
      expect(await images.setVisibility(newId(), "public")).toBe(false);
      expect(await images.findImage(live.id)).toMatchObject({ visibility: "private" });
      expect(await images.findServable(newId())).toBeNull();
    });

    it("moves an image PROCESSING → READY once, serving its public image and variants only then", async () => {
      const processing = {
        status: "PROCESSING" as const,
        failureReason: null,
        placeholder: null,
        publicKey: null,
        publicSize: null,
        variants: [],
      };
      const made = await images.createImage(image(newId(), { key: `orig/${newId()}`, processing }));
      expect(made.processing).toEqual(processing);
      expect(await images.findServable(made.id)).toMatchObject({ state: "processing", variants: [] });
      const variant = {
        name: "w320",
        key: `img/${made.id}-w320`,
        width: 320,
        height: 200,
        contentType: "image/webp",
        size: 99,
      };
      const processed = {
        originalKey: made.key,
        publicKey: `img/${made.id}-public`,
        publicSize: 1234,
        width: 3,
        height: 2,
        placeholder: "AbCd",
        variants: [variant],
      };
      const ready = await images.markReady(made.id, processed);
      expect(ready?.processing).toEqual({
        status: "READY",
        failureReason: null,
        placeholder: "AbCd",
        publicKey: processed.publicKey,
        publicSize: 1234,
        variants: [variant],
      });
      expect([ready?.width, ready?.height]).toEqual([3, 2]);
      expect(await images.findServable(made.id)).toEqual({
        state: "serve",
        key: processed.publicKey,
        contentType: made.contentType,
        visibility: "public",
        variants: [{ name: "w320", key: variant.key, contentType: "image/webp" }],
      });
      // Only from PROCESSING: a late failure cannot undo READY, and READY is not reprocessed.
      expect((await images.markFailed(made.id, "late"))?.processing?.status).toBe("READY");
      expect((await images.markProcessing(made.id))?.processing?.status).toBe("READY");
    });

    it("records FAILED with its reason, serves nothing, and can be queued again", async () => {
      const made = await images.createImage(image(newId(), { key: `orig/${newId()}` }));
      expect((await images.markProcessing(made.id))?.processing?.status).toBe("PROCESSING");
      const failed = await images.markFailed(made.id, "The image could not be decoded.");
      expect(failed?.processing).toMatchObject({
        status: "FAILED",
        failureReason: "The image could not be decoded.",
      });
      expect(await images.findServable(made.id)).toBeNull();
      const again = await images.markProcessing(made.id);
      expect(again?.processing).toMatchObject({ status: "PROCESSING", failureReason: null });
      await images.markDeleting(made.id);
      expect(
        await images.markReady(made.id, {
          originalKey: made.key,
          publicKey: "img/x",
          publicSize: 1,
          width: 1,
          height: 1,
          placeholder: "",
          variants: [],
        }),
      ).toMatchObject({ status: "deleting", processing: { status: "PROCESSING" } });
      expect(await images.markProcessing(newId())).toBeNull();
    });

    it("keeps serving a pre-pipeline image as uploaded while it is backfilled", async () => {
      const legacy = await images.createImage(image(newId()));
      expect(legacy.processing).toBeNull();
      await images.markProcessing(legacy.id);
      expect(await images.findServable(legacy.id)).toMatchObject({ state: "serve", key: legacy.key, variants: [] });
    });

    it("never creates a stub when marking an absent image", async () => {
      const id = newId();
      await images.markDeleting(id);
      expect(await images.findImage(id)).toBeNull();
    });
  });
}
