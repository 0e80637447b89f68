import { describe, expect, it } from "vitest";
import { newId } from "../../server/services/credentials.js";
import { image } from "./metadata-records.js";
import type { MetadataStores } from "./metadata-store.js";

/**
 * The walk over every image record (`scanImageIds`, for `npm run backfill`), part of the metadata-store contract:
 * on Redis Cluster the records are spread over every master, so a walk of one node would miss most of them.
 */
export function defineImageScanContract(stores: () => MetadataStores) {
  describe("walking every image record", () => {
    it("reports every record in pages, whatever its state, and no side keys", async () => {
      const { images, albums } = stores();
      const ownerId = newId();
      const created: string[] = [];
      for (let i = 0; i < 40; i++) {
        created.push((await images.createImage(image(ownerId))).id);
      }
      await images.markProcessing(created[0]!);
      await images.markDeleting(created[1]!);
      // What else is stored about an image (the albums holding it: on Redis a side key under the same tag) must
      // not come back as an id.
      const albumId = newId();
      await albums.createAlbum({
        id: albumId,
        ownerId,
        title: "t",
        description: null,
        visibility: "private",
        createdAt: Date.now(),
      });
      expect(await albums.addImages(albumId, [created[2]!], 10)).toBe(true);

      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { ids: string[]; cursor: string | null } = await images.scanImageIds(cursor, 10);
        for (const id of page.ids) seen.add(id);
        cursor = page.cursor;
        pages += 1;
        expect(pages).toBeLessThan(100_000);
      } while (cursor !== null);

      expect(created.filter((id) => !seen.has(id))).toEqual([]);
      expect([...seen].filter((id) => !/^[A-Za-z0-9_-]+$/.test(id))).toEqual([]);
      expect(pages).toBeGreaterThan(1);
    });
  });
}
