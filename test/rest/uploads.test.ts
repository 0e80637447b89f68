import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restRoutes } from "../../server/rest/route-table.js";
import { expectSamePicture, makeImage } from "../support/images.js";
import type { S3StorageConfig } from "../../server/config.js";
import { rgwBucket, rgwEnv } from "../support/rgw-bucket.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic } from "../support/uploads.js";
import { expectError, registerUser, rest, type RestResponse } from "./rest-client.js";

const MAX_UPLOAD_BYTES = 64 * 1024;

/**
 * REST-CONTRACT.md rows `upload/request`, `upload/complete`, `me/images`, `GET|DELETE /api/v1/image/<id>`, written
 * the way the older clients use them, on both storage drivers.
 */
describe.each(["local", "s3"] as const)("REST uploads with the %s driver", (driver) => {
  let server: TestApp;
  let s3: S3StorageConfig | undefined;

  beforeAll(async () => {
    if (driver === "s3") s3 = await rgwBucket();
    server = await startTestApp({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), ...(s3 ? rgwEnv(s3) : {}) });
  });
  afterAll(async () => {
    await server?.close();
  });

  const newUser = async () => (await registerUser(server.baseUrl, driver)).key;
  const requestUpload = (key: string, json: unknown) =>
    rest(server.baseUrl, "POST", "/api/v1/upload/request", { key, json });
  const completeUpload = (key: string, json: unknown) =>
    rest(server.baseUrl, "POST", "/api/v1/upload/complete", { key, json });
  const myImages = (key: string, query = "") => rest(server.baseUrl, "GET", `/api/v1/me/images${query}`, { key });
  const deleteImage = (key: string | undefined, id: string) =>
    rest(server.baseUrl, "DELETE", `/api/v1/image/${id}`, { key });

  /** What an old client does with presigned_url: a plain PUT, only Content-Type set, the file as the body. */
  const putBytes = (url: string, bytes: Buffer, contentType: string) =>
    fetch(url, { method: "PUT", headers: { "Content-Type": contentType }, body: new Uint8Array(bytes) });

  type Ticket = { iid: string; key: string; filename: string; presigned_url: string };
  async function ticketFor(key: string, filename = "cat.png", mime_type = "image/png", size?: number): Promise<Ticket> {
    const r = await requestUpload(key, { filename, mime_type, ...(size !== undefined ? { size } : {}) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  }

  /** request → PUT → complete, as an old client; returns the completed image. */
  async function upload(
    key: string,
    bytes: Buffer,
    filename = "cat.png",
    mime = "image/png",
  ): Promise<{ id: string; url: string }> {
    const ticket = await ticketFor(key, filename, mime);
    expect((await putBytes(ticket.presigned_url, bytes, mime)).ok).toBe(true);
    const done = await completeUpload(key, {
      iid: ticket.iid,
      key: ticket.key,
      filename: ticket.filename,
      mime_type: mime,
    });
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    return done.body;
  }

  it("never takes more than MAX_UPLOAD_BYTES through a URL issued without a size", async () => {
    const key = await newUser();
    const ticket = await ticketFor(key);
    const tooBig = Buffer.concat([await makeImage("png", 8, 8), Buffer.alloc(MAX_UPLOAD_BYTES)]);
    const put = await putBytes(ticket.presigned_url, tooBig, "image/png");
    expect(put.status).toBe(413);
    const done = await completeUpload(key, {
      iid: ticket.iid,
      key: ticket.key,
      filename: "cat.png",
      mime_type: "image/png",
    });
    expectError(done, 400, "validation");
    expect(JSON.stringify(done.body)).toMatch(/Nothing has been uploaded/);
    // The same URL still takes a file within the limit.
    const bytes = await makeImage("png", 9, 9);
    expect((await putBytes(ticket.presigned_url, bytes, "image/png")).ok).toBe(true);
    const retried = await completeUpload(key, {
      iid: ticket.iid,
      key: ticket.key,
      filename: "cat.png",
      mime_type: "image/png",
    });
    expect(retried.status).toBe(201);
    expect((await fetchPublic(retried.body.url)).bytes.equals(bytes)).toBe(true);
  });

  if (driver === "s3")
    it("presigns a PUT with the signed length, straight to the bucket, when the size is declared", async () => {
      const key = await newUser();
      const bytes = await makeImage("png", 5, 5);
      const ticket = await ticketFor(key, "cat.png", "image/png", bytes.length);
      expect(ticket.presigned_url).toMatch(
        new RegExp(`^${s3!.endpoint}/${s3!.bucket}/up/${ticket.iid}\\?.*X-Amz-Signature=`),
      );
      expect((await putBytes(ticket.presigned_url, Buffer.concat([bytes, Buffer.alloc(1)]), "image/png")).status).toBe(
        403,
      );
      expect((await putBytes(ticket.presigned_url, bytes, "image/png")).ok).toBe(true);
    });

  it("runs an old client's whole flow: register, request, PUT, complete, list, fetch, delete, 404", async () => {
    const key = await newUser();
    const bytes = await makeImage("png", 12, 8);

    const requested = await requestUpload(key, { filename: "cat.png", mime_type: "image/png" });
    expect(requested.status).toBe(200);
    const ticket = requested.body as Ticket;
    expect(ticket).toEqual({
      iid: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
      key: `up/${ticket.iid}`,
      filename: "cat.png",
      presigned_url: expect.stringMatching(/^http:\/\//),
    });
    expect(restRoutes.requestUpload.success.body.safeParse(ticket).success).toBe(true);
    // No size declared: on S3 too the URL is on this server (the relay enforces MAX_UPLOAD_BYTES), never a
    // presigned PUT without a signed length.
    expect(ticket.presigned_url.startsWith(`${server.baseUrl}/uploads/${s3 ? "s3/" : ""}`)).toBe(true);

    const put = await putBytes(ticket.presigned_url, bytes, "image/png");
    expect(put.ok, `PUT answered ${put.status}: ${await put.clone().text()}`).toBe(true);

    const completed = await completeUpload(key, {
      iid: ticket.iid,
      key: ticket.key,
      filename: "cat.png",
      mime_type: "image/png",
    });
    expect(completed.status).toBe(201);
    expect(completed.body).toEqual({ id: ticket.iid, url: `${server.baseUrl}/image/${ticket.iid}` });

    const listed = await myImages(key);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [
        {
          id: ticket.iid,
          url: completed.body.url,
          filename: "cat.png",
          mime: "image/png",
          created_at: expect.any(Number),
          size: bytes.length,
          width: 12,
          height: 8,
          // Added by the pipeline (issue 13); test/pipeline covers their values.
          status: expect.stringMatching(/^(processing|ready)$/),
          thumbnail_url: listed.body.items[0].thumbnail_url,
        },
      ],
    });
    const createdAt = listed.body.items[0].created_at as number;
    expect(Number.isInteger(createdAt)).toBe(true);
    expect(Math.abs(createdAt - Date.now() / 1000)).toBeLessThan(60);
    expect(restRoutes.myImages.success.body.safeParse(listed.body).success).toBe(true);

    for (const link of [`${server.baseUrl}/api/v1/image/${ticket.iid}`, completed.body.url]) {
      const served = await fetchPublic(link);
      expect(served.status).toBe(200);
      await expectSamePicture(served.bytes, bytes);
    }
    // fetch's own redirect following, as `requests.get` and `curl -L` do.
    const followed = await fetch(`${server.baseUrl}/api/v1/image/${ticket.iid}`);
    await expectSamePicture(Buffer.from(await followed.arrayBuffer()), bytes);

    const deleted = await deleteImage(key, ticket.iid);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ status: "deleted", id: ticket.iid });

    expectError(await rest(server.baseUrl, "GET", `/api/v1/image/${ticket.iid}`), 404, "not_found");
    expect((await fetch(completed.body.url, { redirect: "manual" })).status).toBe(404);
    expect((await myImages(key)).body).toEqual({ items: [] });
  });

  it("accepts a declared size, and the PUT an old client sends for it", async () => {
    const key = await newUser();
    const bytes = await makeImage("jpeg", 5, 7);
    const ticket = await ticketFor(key, "photo.jpg", "image/jpeg", bytes.length);
    expect((await putBytes(ticket.presigned_url, bytes, "image/jpeg")).ok).toBe(true);
    const done = await completeUpload(key, {
      iid: ticket.iid,
      key: ticket.key,
      filename: "photo.jpg",
      mime_type: "image/jpeg",
    });
    expect(done.status).toBe(201);
    await expectSamePicture((await fetchPublic(done.body.url)).bytes, bytes);
  });

  describe("POST /api/v1/upload/request", () => {
    it("keeps only the last path part of the filename, and answers with it", async () => {
      const key = await newUser();
      expect((await ticketFor(key, "../../etc/cat.png")).filename).toBe("cat.png");
    });

    it.each([
      ["an SVG", { filename: "x.svg", mime_type: "image/svg+xml" }],
      ["HTML", { filename: "x.html", mime_type: "text/html" }],
      ["a missing mime_type", { filename: "x.png" }],
      ["a missing filename", { mime_type: "image/png" }],
      ["a number as filename", { filename: 5, mime_type: "image/png" }],
      ["a size sent as a string", { filename: "x.png", mime_type: "image/png", size: "100" }],
      ["a fractional size", { filename: "x.png", mime_type: "image/png", size: 1.5 }],
      ["a size of zero", { filename: "x.png", mime_type: "image/png", size: 0 }],
    ])("400 validation for %s", async (_label, body) => {
      expectError(await requestUpload(await newUser(), body), 400, "validation");
    });

    it("413 too_large for a declared size over MAX_UPLOAD_BYTES", async () => {
      expectError(
        await requestUpload(await newUser(), { filename: "x.png", mime_type: "image/png", size: MAX_UPLOAD_BYTES + 1 }),
        413,
        "too_large",
      );
    });
  });

  describe("POST /api/v1/upload/complete", () => {
    async function sentTicket(key: string, bytes: Buffer, mime = "image/png", filename = "cat.png") {
      const ticket = await ticketFor(key, filename, mime);
      expect((await putBytes(ticket.presigned_url, bytes, mime)).ok).toBe(true);
      return ticket;
    }
    const bodyOf = (t: Ticket, overrides: Record<string, unknown> = {}) => ({
      iid: t.iid,
      key: t.key,
      filename: t.filename,
      mime_type: "image/png",
      ...overrides,
    });

    it("400 for a key other than the one issued, and the ticket stays usable", async () => {
      const key = await newUser();
      const other = await sentTicket(key, await makeImage("png"));
      const ticket = await sentTicket(key, await makeImage("png"));
      for (const wrong of [other.key, "img/../../etc/passwd", `img/${ticket.iid}x`, ""]) {
        const r = await completeUpload(key, bodyOf(ticket, { key: wrong }));
        expectError(r, 400, "validation");
      }
      expect((await completeUpload(key, bodyOf(ticket))).status).toBe(201);
      // The other ticket was not completed by the attempts that named its key.
      expect((await myImages(key)).body.items.map((i: { id: string }) => i.id)).toEqual([ticket.iid]);
    });

    it("400 when mime_type or filename do not match the ticket", async () => {
      const key = await newUser();
      const ticket = await sentTicket(key, await makeImage("png"));
      const mime = await completeUpload(key, bodyOf(ticket, { mime_type: "image/jpeg" }));
      expectError(mime, 400, "validation");
      expect(mime.body.error.message).toMatch(/mime_type/);
      const name = await completeUpload(key, bodyOf(ticket, { filename: "dog.png" }));
      expectError(name, 400, "validation");
      expect(name.body.error.message).toMatch(/filename/);
      // The filename as first sent (path and all) and the type in other case are the same upload.
      expect(
        (await completeUpload(key, bodyOf(ticket, { filename: "pics/cat.png", mime_type: "IMAGE/PNG" }))).status,
      ).toBe(201);
    });

    it("400 when the bytes are not what the ticket says (JPEG sent as PNG), and when nothing was sent", async () => {
      const key = await newUser();
      const jpegAsPng = await sentTicket(key, await makeImage("jpeg"));
      expectError(await completeUpload(key, bodyOf(jpegAsPng)), 400, "validation");
      const nothing = await ticketFor(key);
      expectError(await completeUpload(key, bodyOf(nothing)), 400, "validation");
    });

    it("404 for someone else's iid, an unknown one, and a malformed one", async () => {
      const owner = await newUser();
      const thief = await newUser();
      const ticket = await sentTicket(owner, await makeImage("png"));
      expectError(await completeUpload(thief, bodyOf(ticket)), 404, "not_found");
      expectError(
        await completeUpload(thief, bodyOf(ticket, { iid: "AAAAAAAAAAAAAAAA", key: "img/AAAAAAAAAAAAAAAA" })),
        404,
        "not_found",
      );
      expectError(await completeUpload(thief, bodyOf(ticket, { iid: "../../etc/passwd" })), 404, "not_found");
      // Still the owner's to complete; afterwards still 404 for the thief.
      expect((await completeUpload(owner, bodyOf(ticket))).status).toBe(201);
      expectError(await completeUpload(thief, bodyOf(ticket)), 404, "not_found");
    });

    it("201 with the same image on a retry; a retry with a wrong key is still a 400", async () => {
      const key = await newUser();
      const ticket = await sentTicket(key, await makeImage("gif"), "image/gif", "anim.gif");
      const body = { iid: ticket.iid, key: ticket.key, filename: "anim.gif", mime_type: "image/gif" };
      const first = await completeUpload(key, body);
      const second = await completeUpload(key, body);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expectError(await completeUpload(key, { ...body, key: "img/AAAAAAAAAAAAAAAA" }), 400, "validation");
      expectError(await completeUpload(key, { ...body, mime_type: "image/png" }), 400, "validation");
      expect((await myImages(key)).body.items).toHaveLength(1);
    });

    it.each([
      ["a missing key", { iid: "AAAAAAAAAAAAAAAA", filename: "a.png", mime_type: "image/png" }],
      ["a number as iid", { iid: 5, key: "img/x", filename: "a.png", mime_type: "image/png" }],
    ])("400 validation for %s", async (_label, body) => {
      expectError(await completeUpload(await newUser(), body), 400, "validation");
    });
  });

  describe("GET /api/v1/me/images", () => {
    it("lists newest first with every field, and honours ?limit=", async () => {
      const key = await newUser();
      const first = await upload(key, await makeImage("png"), "one.png");
      const second = await upload(key, await makeImage("webp", 3, 2), "two.webp", "image/webp");
      const all = await myImages(key);
      expect(all.body.items.map((i: { id: string }) => i.id)).toEqual([second.id, first.id]);
      expect(all.body.items[0]).toMatchObject({ filename: "two.webp", mime: "image/webp", width: 3, height: 2 });
      const limited = await myImages(key, "?limit=1");
      expect(limited.body.items.map((i: { id: string }) => i.id)).toEqual([second.id]);
      // Only the caller's own images.
      expect((await myImages(await newUser())).body).toEqual({ items: [] });
    });

    it.each(["?limit=0", "?limit=abc", "?limit=1.5"])("400 validation for %s", async (query) => {
      expectError(await myImages(await newUser(), query), 400, "validation");
    });
  });

  describe("DELETE /api/v1/image/<id>", () => {
    it("404 for someone else's image, which keeps working; 404 for unknown ids; 401 without a key", async () => {
      const owner = await newUser();
      const bytes = await makeImage("png");
      const image = await upload(owner, bytes);
      expectError(await deleteImage(await newUser(), image.id), 404, "not_found");
      expectError(await deleteImage(undefined, image.id), 401, "auth");
      await expectSamePicture((await fetchPublic(image.url)).bytes, bytes);
      for (const id of ["AAAAAAAAAAAAAAAA", "..%2F..%2Fetc%2Fpasswd", "a".repeat(3000)])
        expectError(await deleteImage(owner, id), 404, "not_found");
      expect((await deleteImage(owner, image.id)).status).toBe(200);
      expectError(await deleteImage(owner, image.id), 404, "not_found");
    });
  });
});

describe("GET /api/v1/me/images with more than one service page", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server?.close());

  it("lists all 103 images, newest first, across pages of 100", async () => {
    const { key } = await registerUser(server.baseUrl, "many");
    const bytes = await makeImage("png", 2, 2);
    const ids: string[] = [];
    for (let i = 0; i < 103; i++) {
      const ticket: RestResponse = await rest(server.baseUrl, "POST", "/api/v1/upload/request", {
        key,
        json: { filename: `${i}.png`, mime_type: "image/png" },
      });
      const put = await fetch(ticket.body.presigned_url as string, {
        method: "PUT",
        headers: { "Content-Type": "image/png" },
        body: new Uint8Array(bytes),
      });
      expect(put.ok).toBe(true);
      const done = await rest(server.baseUrl, "POST", "/api/v1/upload/complete", {
        key,
        json: { iid: ticket.body.iid, key: ticket.body.key, filename: `${i}.png`, mime_type: "image/png" },
      });
      expect(done.status).toBe(201);
      ids.push(done.body.id);
    }
    const all = await rest(server.baseUrl, "GET", "/api/v1/me/images", { key });
    expect(all.body.items.map((i: { id: string }) => i.id)).toEqual([...ids].reverse());
    const some = await rest(server.baseUrl, "GET", "/api/v1/me/images?limit=101", { key });
    expect(some.body.items.map((i: { id: string }) => i.id)).toEqual([...ids].reverse().slice(0, 101));
  });
});
