import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3StorageConfig } from "../../server/config.js";
import { restRoutes } from "../../server/rest/route-table.js";
import { expectSamePicture, makeImage } from "../support/images.js";
import { MAX_UPLOAD_BYTES, type Ticket, restUploadServer } from "../support/rest-uploads.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic } from "../support/uploads.js";
import { expectError, registerUser, rest, type RestResponse } from "./rest-client.js";

/**
 * REST-CONTRACT.md rows `upload/request`, `upload/complete`, `me/images`, `GET|DELETE /api/v1/image/<id>`, written
 * the way the older clients use them, on both storage drivers: the whole flow and its limits. Each endpoint's
 * answers: uploads-endpoints.test.ts.
 */
describe.each(["local", "s3"] as const)("REST uploads with the %s driver", (driver) => {
  const { handle, newUser, requestUpload, completeUpload, myImages, deleteImage, putBytes, ticketFor } =
    restUploadServer(driver);
  let server: TestApp;
  let s3: S3StorageConfig | undefined;
  beforeAll(() => {
    ({ server, s3 } = handle);
  });

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
