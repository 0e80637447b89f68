/**
 * Issue 17, part 3: share links. `/s/<token>` redirects to an image's bytes (private ones too) or opens an album;
 * after expiresAt, maxViews, revocation or the target's deletion it answers 410 (a page for browsers). Views are
 * counted atomically: 20 concurrent requests on a maxViews 3 link → exactly 3 succeed. Revocation is immediate on
 * every node (two app instances on one Redis). Nobody else can create, list or revoke links to your things.
 */
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic } from "../support/uploads.js";
import { failing, ok, statusOf, uploadPng } from "../support/sharing.js";
import { registerApiKey } from "../support/upload-setups.js";
import { waitUntil } from "../rest/rest-client.js";

const CREATE = `mutation($input: CreateShareLinkInput!) {
  createShareLink(input: $input) { id url token note expiresAt maxViews views createdAt revokedAt imageId albumId }
}`;
const LIST = `query($i: ID, $a: ID) { shareLinks(imageId: $i, albumId: $a) { id url token views revokedAt note } }`;
const REVOKE = `mutation($id: ID!) { revokeShareLink(id: $id) { id revokedAt } }`;
const CREATE_ALBUM = `mutation($input: CreateAlbumInput!) { createAlbum(input: $input) { id } }`;
const ADD = `mutation($a: ID!, $ids: [ID!]!) { addToAlbum(albumId: $a, imageIds: $ids) { id } }`;
const ALBUM = `query($id: ID!, $g: String) { album(id: $id, grant: $g) { id title images { nodes { id viewUrl } } } }`;

interface Link {
  id: string;
  url: string;
  token: string;
  views: number;
  revokedAt: string | null;
}

describe("share links", () => {
  let server: TestApp;
  let second: TestApp;
  let owner: string;
  let other: string;
  const share = async (input: Record<string, unknown>, key = owner) =>
    (await ok<{ createShareLink: Link }>(server.baseUrl, CREATE, { input }, key)).createShareLink;

  beforeAll(async () => {
    // Two nodes on one Redis, sharing the signing secret as a cluster's nodes must.
    const env = { UPLOAD_SIGNING_SECRET: "s".repeat(40) };
    [server, second] = await Promise.all([startTestApp(env), startTestApp(env)]);
    [owner, other] = await Promise.all([registerApiKey(server.baseUrl, "shr"), registerApiKey(server.baseUrl, "shr")]);
  });
  afterAll(async () => {
    await Promise.all([server?.close(), second?.close()]);
  });

  it("an image link redirects to the bytes, private image too; the token is shown once and stored hashed", async () => {
    const image = await uploadPng(server.baseUrl, owner, "PRIVATE");
    const link = await share({ imageId: image.id, note: "for Bob" });
    expect(link.url).toBe(`${server.baseUrl}/s/${link.token}`);
    expect(Buffer.from(link.token, "base64url").length).toBeGreaterThanOrEqual(16);
    const got = await fetchPublic(link.url);
    expect(got.status).toBe(200);
    expect(got.contentType).toBe("image/png");
    expect(await statusOf(image.url)).toBe(404);

    const listed = (await ok<{ shareLinks: Link[] }>(server.baseUrl, LIST, { i: image.id }, owner)).shareLinks;
    expect(listed).toEqual([{ id: link.id, url: null, token: null, views: 1, revokedAt: null, note: "for Bob" }]);
    const redis = new Redis(inject("redisUrl"));
    try {
      const hash = createHash("sha256").update(link.token).digest("hex");
      expect(await redis.exists(`ih:share:{${hash}}`)).toBe(1);
      expect(JSON.stringify(await redis.hgetall(`ih:share:{${hash}}`))).not.toContain(link.token);
    } finally {
      redis.disconnect();
    }
    expect(await statusOf(`${server.baseUrl}/s/${"x".repeat(43)}`)).toBe(404);
    expect(await statusOf(`${server.baseUrl}/s/short`)).toBe(404);
  });

  it("maxViews 3: exactly 3 of 20 concurrent requests succeed, the rest get 410", async () => {
    const image = await uploadPng(server.baseUrl, owner);
    const link = await share({ imageId: image.id, maxViews: 3 });
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => statusOf(`${(i % 2 ? second : server).baseUrl}/s/${link.token}`)),
    );
    expect(statuses.filter((s) => s === 302)).toHaveLength(3);
    expect(statuses.filter((s) => s === 410)).toHaveLength(17);
    const listed = (await ok<{ shareLinks: Link[] }>(server.baseUrl, LIST, { i: image.id }, owner)).shareLinks;
    expect(listed[0]!.views).toBe(3);
  });

  it("expiry is honoured; a past or malformed expiry, both or no target are refused", async () => {
    const image = await uploadPng(server.baseUrl, owner);
    const link = await share({ imageId: image.id, expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(await statusOf(link.url)).toBe(302);
    await waitUntil(async () => (await statusOf(link.url)) === 410, 10_000, "the link to expire");
    const past = new Date(Date.now() - 1000).toISOString();
    expect(await failing(server.baseUrl, CREATE, { input: { imageId: image.id, expiresAt: past } }, owner)).toBe(
      "BAD_USER_INPUT",
    );
    expect(await failing(server.baseUrl, CREATE, { input: { imageId: image.id, maxViews: 0 } }, owner)).toBe(
      "BAD_USER_INPUT",
    );
    expect(await failing(server.baseUrl, CREATE, { input: {} }, owner)).toBe("BAD_USER_INPUT");
    const album = (
      await ok<{ createAlbum: { id: string } }>(server.baseUrl, CREATE_ALBUM, { input: { title: "t" } }, owner)
    ).createAlbum;
    expect(await failing(server.baseUrl, CREATE, { input: { imageId: image.id, albumId: album.id } }, owner)).toBe(
      "BAD_USER_INPUT",
    );
  });

  it("revocation is immediate on every node; browsers get a 410 page", async () => {
    const image = await uploadPng(server.baseUrl, owner);
    const link = await share({ imageId: image.id });
    const onSecond = `${second.baseUrl}/s/${link.token}`;
    expect(await statusOf(onSecond)).toBe(302);
    const revoked = await ok<{ revokeShareLink: Link }>(server.baseUrl, REVOKE, { id: link.id }, owner);
    expect(revoked.revokeShareLink.revokedAt).not.toBeNull();
    expect(await statusOf(onSecond)).toBe(410);
    expect(await statusOf(link.url)).toBe(410);
    const page = await fetch(onSecond, { headers: { accept: "text/html,*/*;q=0.8" }, redirect: "manual" });
    expect(page.status).toBe(410);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("This link no longer works");
    const api = await fetch(onSecond, { redirect: "manual" });
    expect(await api.json()).toMatchObject({ error: { code: "gone" } });
  });

  it("an album link opens the album page, even for a private album, until revoked; deletes make links 410", async () => {
    const hidden = await uploadPng(server.baseUrl, owner, "PRIVATE");
    const album = (
      await ok<{ createAlbum: { id: string } }>(server.baseUrl, CREATE_ALBUM, { input: { title: "Secret" } }, owner)
    ).createAlbum;
    await ok(server.baseUrl, ADD, { a: album.id, ids: [hidden.id] }, owner);
    const link = await share({ albumId: album.id });
    const opened = await fetch(link.url, { redirect: "manual" });
    expect(opened.status).toBe(302);
    const page = new URL(opened.headers.get("location")!, server.baseUrl);
    expect(page.pathname).toBe(`/a/${album.id}`);
    const grant = page.searchParams.get("grant")!;
    const seen = (
      await ok<{ album: { images: { nodes: { viewUrl: string }[] } } }>(server.baseUrl, ALBUM, {
        id: album.id,
        g: grant,
      })
    ).album;
    expect(seen.images.nodes).toHaveLength(1);
    expect((await fetchPublic(seen.images.nodes[0]!.viewUrl)).status).toBe(200);
    // The grant is for this album only, and it is no key to the album without the link.
    expect((await ok<{ album: null }>(second.baseUrl, ALBUM, { id: album.id })).album).toBeNull();
    expect((await ok<{ album: null }>(server.baseUrl, ALBUM, { id: album.id, g: `${grant}x` })).album).toBeNull();
    await ok(server.baseUrl, REVOKE, { id: link.id }, owner);
    expect((await ok<{ album: null }>(second.baseUrl, ALBUM, { id: album.id, g: grant })).album).toBeNull();

    const albumLink = await share({ albumId: album.id });
    const imageLink = await share({ imageId: hidden.id });
    expect(await statusOf(albumLink.url)).toBe(302);
    await ok(server.baseUrl, `mutation($id: ID!) { deleteImage(id: $id) }`, { id: hidden.id }, owner);
    expect(await statusOf(imageLink.url)).toBe(410);
    await ok(server.baseUrl, `mutation($id: ID!) { deleteAlbum(id: $id) }`, { id: album.id }, owner);
    expect(await statusOf(albumLink.url)).toBe(410);
  });

  it("another user can neither create, list nor revoke links to your images and albums", async () => {
    const image = await uploadPng(server.baseUrl, owner);
    const album = (
      await ok<{ createAlbum: { id: string } }>(server.baseUrl, CREATE_ALBUM, { input: { title: "a" } }, owner)
    ).createAlbum;
    const link = await share({ imageId: image.id });
    const attempts: [string, Record<string, unknown>][] = [
      [CREATE, { input: { imageId: image.id } }],
      [CREATE, { input: { albumId: album.id } }],
      [LIST, { i: image.id }],
      [LIST, { a: album.id }],
      [REVOKE, { id: link.id }],
    ];
    for (const [query, variables] of attempts) {
      expect(await failing(server.baseUrl, query, variables, other)).toBe("NOT_FOUND");
      expect(await failing(server.baseUrl, query, variables)).toBe("UNAUTHENTICATED");
    }
    expect(await statusOf(link.url)).toBe(302);
  });
});
