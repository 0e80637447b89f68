import { describe, expect, it } from "vitest";
import { expectSamePicture, makeImage } from "../support/images.js";
import { MAX_UPLOAD_BYTES, type Ticket, restUploadServer } from "../support/rest-uploads.js";
import { fetchPublic } from "../support/uploads.js";
import { expectError } from "./rest-client.js";

/**
 * REST-CONTRACT.md rows `upload/request`, `upload/complete`, `me/images`, `GET|DELETE /api/v1/image/<id>`, written
 * the way the older clients use them, on both storage drivers: each endpoint's answers. The whole flow:
 * uploads.test.ts.
 */
describe.each(["local", "s3"] as const)("REST uploads with the %s driver", (driver) => {
  const { newUser, requestUpload, completeUpload, myImages, deleteImage, putBytes, ticketFor, upload } =
    restUploadServer(driver);

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
