/**
 * Issue 17, part 1: PRIVATE images. Their public link, the REST alias and GraphQL `image(id)` answer as if they did
 * not exist, to anonymous users and to other users; the owner still sees them (viewUrl carries a grant). Old
 * clients, which never send a visibility, keep getting PUBLIC images.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic } from "../support/uploads.js";
import { failing, ok, statusOf, uploadPng } from "../support/sharing.js";
import { registerApiKey } from "../support/upload-setups.js";
import { rest } from "../rest/rest-client.js";

const IMAGE = `query($id: ID!) { image(id: $id) { id visibility viewUrl } }`;
const SET = `mutation($id: ID!, $v: Visibility!) { setImageVisibility(id: $id, visibility: $v) { id visibility url } }`;

describe("image visibility", () => {
  let server: TestApp;
  let owner: string;
  let other: string;

  beforeAll(async () => {
    server = await startTestApp();
    [owner, other] = await Promise.all([registerApiKey(server.baseUrl, "vis"), registerApiKey(server.baseUrl, "vis")]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("uploads are PUBLIC unless asked otherwise, as old clients expect", async () => {
    const image = await uploadPng(server.baseUrl, owner);
    expect(image.visibility).toBe("PUBLIC");
    expect(image.viewUrl).toBe(image.url);
    expect((await fetchPublic(image.url)).status).toBe(200);
    const upload = await rest(server.baseUrl, "POST", "/api/v1/upload/request", {
      key: owner,
      json: { filename: "a.png", mime_type: "image/png" },
    });
    expect(upload.status).toBe(200);
  });

  it("a private image is 404 to anonymous users and other users through /image, REST and GraphQL", async () => {
    const image = await uploadPng(server.baseUrl, owner, "PRIVATE");
    expect(image.visibility).toBe("PRIVATE");
    const callers: Record<string, string>[] = [{}, { "x-api-key": other }, { "x-api-key": owner }];
    for (const headers of callers) {
      expect(await statusOf(image.url, headers)).toBe(404);
      expect(await statusOf(`${server.baseUrl}/api/v1/image/${image.id}`, headers)).toBe(404);
    }
    expect((await ok<{ image: null }>(server.baseUrl, IMAGE, { id: image.id })).image).toBeNull();
    expect((await ok<{ image: null }>(server.baseUrl, IMAGE, { id: image.id }, other)).image).toBeNull();
    const listed = await rest(server.baseUrl, "GET", "/api/v1/me/images", { key: other });
    expect(listed.body.items.map((i: { id: string }) => i.id)).not.toContain(image.id);

    // The owner sees it in the app: metadata, and bytes through viewUrl's grant (for this image only).
    const own = await ok<{ image: { viewUrl: string } }>(server.baseUrl, IMAGE, { id: image.id }, owner);
    expect(own.image.viewUrl).toMatch(/\?grant=/);
    expect((await fetchPublic(own.image.viewUrl)).status).toBe(200);
    const second = await uploadPng(server.baseUrl, owner, "PRIVATE");
    const borrowed = `${second.url}?${new URL(own.image.viewUrl).searchParams}`;
    expect(await statusOf(borrowed)).toBe(404);
    expect(await statusOf(`${image.url}?grant=${"a".repeat(50)}`)).toBe(404);
    const mine = await rest(server.baseUrl, "GET", "/api/v1/me/images", { key: owner });
    expect(mine.body.items.map((i: { id: string }) => i.id)).toContain(image.id);
  });

  it("setImageVisibility switches the link at once, for the owner only", async () => {
    const image = await uploadPng(server.baseUrl, owner);
    expect(await failing(server.baseUrl, SET, { id: image.id, v: "PRIVATE" }, other)).toBe("NOT_FOUND");
    expect(await failing(server.baseUrl, SET, { id: image.id, v: "PRIVATE" })).toBe("UNAUTHENTICATED");
    expect(await statusOf(image.url)).toBe(302);

    const set = await ok<{ setImageVisibility: { visibility: string } }>(
      server.baseUrl,
      SET,
      { id: image.id, v: "PRIVATE" },
      owner,
    );
    expect(set.setImageVisibility.visibility).toBe("PRIVATE");
    expect(await statusOf(image.url)).toBe(404);
    await ok(server.baseUrl, SET, { id: image.id, v: "PUBLIC" }, owner);
    expect(await statusOf(image.url)).toBe(302);
    expect(await failing(server.baseUrl, SET, { id: "AAAAAAAAAAAAAAAA", v: "PUBLIC" }, owner)).toBe("NOT_FOUND");
  });
});
