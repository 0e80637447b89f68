import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlbumRecord, AlbumStore } from "../../server/ports/album-store.js";
import { newId } from "../../server/services/credentials.js";
import type { MetadataStoreHarness } from "./metadata-store.js";

/** The album half of the metadata store, through its port: on Redis, single and Cluster (no CROSSSLOT anywhere). */
export function defineAlbumStoreContract(name: string, open: () => Promise<MetadataStoreHarness>) {
  describe(`album store contract: ${name}`, () => {
    let close: () => Promise<void>;
    let albums: AlbumStore;
    beforeAll(async () => {
      let stores: MetadataStoreHarness["stores"];
      ({ stores, close } = await open());
      ({ albums } = stores);
    });
    afterAll(() => close?.());

    const album = (ownerId: string, extra: Partial<AlbumRecord> = {}): AlbumRecord => ({
      id: newId(),
      ownerId,
      title: "Trip",
      description: null,
      visibility: "private",
      createdAt: Date.now(),
      ...extra,
    });
    const ids = (n: number) => Array.from({ length: n }, () => newId());
    const order = async (albumId: string) =>
      (await albums.listAlbumImages(albumId, 100, null)).entries.map((e) => e.imageId);

    it("creates, finds, updates and pages albums newest first", async () => {
      const ownerId = newId();
      const made = [0, 1, 2].map((i) => album(ownerId, { createdAt: 1000 + i, description: i === 0 ? "x" : null }));
      for (const a of made) await albums.createAlbum(a);
      expect(await albums.findAlbum(made[0]!.id)).toEqual(made[0]);
      expect(await albums.updateAlbum(made[1]!.id, { title: "New", description: "d", visibility: "public" })).toBe(
        true,
      );
      expect(await albums.findAlbum(made[1]!.id)).toMatchObject({
        title: "New",
        description: "d",
        visibility: "public",
      });
      expect(await albums.updateAlbum(made[1]!.id, { description: null })).toBe(true);
      expect((await albums.findAlbum(made[1]!.id))!.description).toBeNull();
      expect(await albums.updateAlbum(newId(), { title: "ghost" })).toBe(false);
      expect(await albums.findAlbum(newId())).toBeNull();

      const first = await albums.listAlbums(ownerId, 2, null);
      expect(first.albums.map((a) => a.id)).toEqual([made[2]!.id, made[1]!.id]);
      expect(first.hasMore).toBe(true);
      const rest = await albums.listAlbums(ownerId, 2, { createdAt: 1001, id: made[1]!.id });
      expect(rest).toEqual({ albums: [made[0]], hasMore: false });
      expect(await albums.countAlbums(ownerId)).toBe(3);
      expect((await albums.albumIdsOf(ownerId)).sort()).toEqual(made.map((a) => a.id).sort());
    });

    it("adds in order without repeats, up to the limit, all or nothing; reorders only with the exact set", async () => {
      const a = album(newId());
      await albums.createAlbum(a);
      const [x, y, z, w] = ids(4) as [string, string, string, string];
      expect(await albums.addImages(a.id, [x, y, x], 3)).toBe(true);
      expect(await albums.addImages(a.id, [y, z], 3)).toBe(true);
      expect(await order(a.id)).toEqual([x, y, z]);
      expect(await albums.addImages(a.id, [w], 3)).toBe(false);
      expect(await order(a.id)).toEqual([x, y, z]);

      expect(await albums.reorder(a.id, [z, x])).toBe(false);
      expect(await albums.reorder(a.id, [z, x, w])).toBe(false);
      expect(await albums.reorder(a.id, [z, x, y])).toBe(true);
      expect(await order(a.id)).toEqual([z, x, y]);
      const page = await albums.listAlbumImages(a.id, 2, null);
      expect(page.hasMore).toBe(true);
      const next = await albums.listAlbumImages(a.id, 2, page.entries.at(-1)!.position);
      expect(next.entries.map((e) => e.imageId)).toEqual([y]);
      expect(next.hasMore).toBe(false);

      await albums.removeImages(a.id, [x, w]);
      expect(await order(a.id)).toEqual([z, y]);
      expect(await albums.albumSize(a.id)).toBe(2);
    });

    it("forgetting an image takes it out of every album; deleting an album leaves other albums alone", async () => {
      const ownerId = newId();
      const [a, b] = [album(ownerId), album(ownerId)];
      await albums.createAlbum(a);
      await albums.createAlbum(b);
      const [x, y] = ids(2) as [string, string];
      await albums.addImages(a.id, [x, y], 10);
      await albums.addImages(b.id, [x], 10);
      await albums.forgetImage(x);
      expect(await order(a.id)).toEqual([y]);
      expect(await order(b.id)).toEqual([]);

      await albums.deleteAlbum(a);
      expect(await albums.findAlbum(a.id)).toBeNull();
      expect(await albums.albumSize(a.id)).toBe(0);
      expect((await albums.listAlbums(ownerId, 10, null)).albums.map((r) => r.id)).toEqual([b.id]);
      await albums.addImages(b.id, [y], 10);
      await albums.forgetImage(y);
      expect(await order(b.id)).toEqual([]);
    });
  });
}
