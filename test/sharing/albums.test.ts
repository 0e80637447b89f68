/**
 * Issue 17, part 2: albums. A PUBLIC album shows all its images, private ones included, to anyone; a PRIVATE one
 * only to its owner. Nobody else can read, change or add to it (every mutation tried). Deleting an image takes it
 * out of every album; deleting an album leaves its images.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic } from "../support/uploads.js";
import { failing, ok, statusOf, uploadPng } from "../support/sharing.js";
import { registerApiKey } from "../support/upload-setups.js";

const ALBUM_FIELDS = `id title description visibility url createdAt cover { id }
  images(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id url viewUrl visibility } }`;
const ALBUM = `query($id: ID!, $first: Int = 50, $after: String) { album(id: $id) { ${ALBUM_FIELDS} } }`;
const CREATE = `mutation($input: CreateAlbumInput!) { createAlbum(input: $input) { id visibility description } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateAlbumInput!) { updateAlbum(id: $id, input: $input) { id title visibility } }`;
const ADD = `mutation($a: ID!, $ids: [ID!]!) { addToAlbum(albumId: $a, imageIds: $ids) { id } }`;
const REMOVE = `mutation($a: ID!, $ids: [ID!]!) { removeFromAlbum(albumId: $a, imageIds: $ids) { id } }`;
const REORDER = `mutation($a: ID!, $ids: [ID!]!) { reorderAlbum(albumId: $a, imageIds: $ids) { id } }`;
const DELETE_ALBUM = `mutation($id: ID!) { deleteAlbum(id: $id) }`;
const DELETE_IMAGE = `mutation($id: ID!) { deleteImage(id: $id) }`;
const MY_ALBUMS = `query($first: Int!, $after: String) { myAlbums(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }`;

interface AlbumData {
  id: string;
  title: string;
  visibility: string;
  url: string;
  cover: { id: string } | null;
  images: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: { id: string; url: string; viewUrl: string; visibility: string }[];
  };
}

describe("albums", () => {
  let server: TestApp;
  let owner: string;
  let other: string;
  const create = async (input: Record<string, unknown>, key = owner) =>
    (await ok<{ createAlbum: { id: string; visibility: string } }>(server.baseUrl, CREATE, { input }, key)).createAlbum;
  const read = async (id: string, key?: string, page: { first?: number; after?: string } = {}) =>
    (await ok<{ album: AlbumData | null }>(server.baseUrl, ALBUM, { id, ...page }, key)).album;

  beforeAll(async () => {
    server = await startTestApp();
    [owner, other] = await Promise.all([registerApiKey(server.baseUrl, "alb"), registerApiKey(server.baseUrl, "alb")]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("a public album shows its private images to anyone; a private album is the owner's alone", async () => {
    const open = await uploadPng(server.baseUrl, owner, "PUBLIC");
    const hidden = await uploadPng(server.baseUrl, owner, "PRIVATE");
    const album = await create({ title: "Holiday", description: "Sea", visibility: "PUBLIC" });
    await ok(server.baseUrl, ADD, { a: album.id, ids: [hidden.id, open.id] }, owner);

    const seen = (await read(album.id))!;
    expect(seen).toMatchObject({ title: "Holiday", visibility: "PUBLIC", url: `${server.baseUrl}/a/${album.id}` });
    expect(seen.cover?.id).toBe(hidden.id);
    expect(seen.images.nodes.map((n) => n.id)).toEqual([hidden.id, open.id]);
    for (const node of seen.images.nodes) expect((await fetchPublic(node.viewUrl)).status).toBe(200);
    // The album grants the bytes, not the image's own link.
    expect(await statusOf(hidden.url)).toBe(404);

    const secret = await create({ title: "Drafts" });
    expect(secret.visibility).toBe("PRIVATE");
    expect(await read(secret.id)).toBeNull();
    expect(await read(secret.id, other)).toBeNull();
    expect((await read(secret.id, owner))?.title).toBe("Drafts");
    await ok(server.baseUrl, UPDATE, { id: album.id, input: { visibility: "PRIVATE" } }, owner);
    expect(await read(album.id)).toBeNull();
  });

  it("another user can neither read, change, add to, reorder nor delete your album, nor put your images in theirs", async () => {
    const mine = await uploadPng(server.baseUrl, owner, "PRIVATE");
    const album = await create({ title: "Mine" });
    await ok(server.baseUrl, ADD, { a: album.id, ids: [mine.id] }, owner);
    const theirs = await uploadPng(server.baseUrl, other);
    const theirAlbum = await create({ title: "Theirs", visibility: "PUBLIC" }, other);

    const attempts: [string, Record<string, unknown>][] = [
      [UPDATE, { id: album.id, input: { title: "pwned", visibility: "PUBLIC" } }],
      [ADD, { a: album.id, ids: [theirs.id] }],
      [REMOVE, { a: album.id, ids: [mine.id] }],
      [REORDER, { a: album.id, ids: [mine.id] }],
      [DELETE_ALBUM, { id: album.id }],
      [ADD, { a: theirAlbum.id, ids: [mine.id] }],
    ];
    for (const [query, variables] of attempts) {
      expect(await failing(server.baseUrl, query, variables, other)).toBe("NOT_FOUND");
      expect(await failing(server.baseUrl, query, variables)).toBe("UNAUTHENTICATED");
    }
    expect(await read(album.id, other)).toBeNull();
    const still = (await read(album.id, owner))!;
    expect(still).toMatchObject({ title: "Mine", visibility: "PRIVATE" });
    expect(still.images.nodes.map((n) => n.id)).toEqual([mine.id]);
    expect((await read(theirAlbum.id))!.images.nodes).toEqual([]);
    // Nothing half-done: a call naming one foreign image adds none of the others.
    const own2 = await uploadPng(server.baseUrl, owner);
    expect(await failing(server.baseUrl, ADD, { a: album.id, ids: [own2.id, theirs.id] }, owner)).toBe("NOT_FOUND");
    expect((await read(album.id, owner))!.images.totalCount).toBe(1);
  });

  it("orders, reorders, removes and pages; an image may be in several albums; deletes clean up", async () => {
    const images = await Promise.all([0, 1, 2].map(() => uploadPng(server.baseUrl, owner)));
    const [x, y, z] = images.map((i) => i.id) as [string, string, string];
    const a = await create({ title: "A", visibility: "PUBLIC" });
    const b = await create({ title: "B", visibility: "PUBLIC" });
    await ok(server.baseUrl, ADD, { a: a.id, ids: [x, y, z] }, owner);
    await ok(server.baseUrl, ADD, { a: b.id, ids: [y] }, owner);

    expect(await failing(server.baseUrl, REORDER, { a: a.id, ids: [z, x] }, owner)).toBe("BAD_USER_INPUT");
    await ok(server.baseUrl, REORDER, { a: a.id, ids: [z, x, y] }, owner);
    const first = (await read(a.id, undefined, { first: 2 }))!.images;
    expect(first.nodes.map((n) => n.id)).toEqual([z, x]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await read(a.id, undefined, { first: 2, after: first.pageInfo.endCursor! }))!.images;
    expect(second.nodes.map((n) => n.id)).toEqual([y]);
    expect(second.pageInfo.hasNextPage).toBe(false);

    await ok(server.baseUrl, REMOVE, { a: a.id, ids: [x] }, owner);
    expect((await read(a.id))!.images.nodes.map((n) => n.id)).toEqual([z, y]);

    await ok(server.baseUrl, DELETE_IMAGE, { id: y }, owner);
    expect((await read(a.id))!.images.nodes.map((n) => n.id)).toEqual([z]);
    expect((await read(b.id))!.images).toMatchObject({ totalCount: 0, nodes: [] });
    expect((await read(b.id))!.cover).toBeNull();

    await ok(server.baseUrl, DELETE_ALBUM, { id: a.id }, owner);
    expect(await read(a.id, owner)).toBeNull();
    expect(await statusOf(images[2]!.url)).toBe(302);
  });

  it("myAlbums pages newest first and input is checked", async () => {
    const key = await registerApiKey(server.baseUrl, "alb");
    const made = [];
    for (const title of ["one", "two", "three"]) made.push(await create({ title }, key));
    const page = (
      await ok<{ myAlbums: { totalCount: number; pageInfo: { endCursor: string }; nodes: { id: string }[] } }>(
        server.baseUrl,
        MY_ALBUMS,
        { first: 2 },
        key,
      )
    ).myAlbums;
    expect(page.totalCount).toBe(3);
    expect(page.nodes.map((n) => n.id)).toEqual([made[2]!.id, made[1]!.id]);
    const rest = (
      await ok<{ myAlbums: { nodes: { id: string }[] } }>(
        server.baseUrl,
        MY_ALBUMS,
        { first: 2, after: page.pageInfo.endCursor },
        key,
      )
    ).myAlbums;
    expect(rest.nodes.map((n) => n.id)).toEqual([made[0]!.id]);
    expect(await failing(server.baseUrl, CREATE, { input: { title: " " } }, key)).toBe("BAD_USER_INPUT");
    expect(await failing(server.baseUrl, CREATE, { input: { title: "x".repeat(201) } }, key)).toBe("BAD_USER_INPUT");
    expect(await failing(server.baseUrl, MY_ALBUMS, { first: 2, after: "bogus" }, key)).toBe("BAD_USER_INPUT");
    expect(await failing(server.baseUrl, MY_ALBUMS, { first: 2 })).toBe("UNAUTHENTICATED");
  });
});
