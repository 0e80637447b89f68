import { describe, expect, it } from "vitest";
import { errorCode, gql } from "../support/graphql.js";
import { HTML, SVG, makeImage, pngHeaderClaiming } from "../support/images.js";
import { UPLOAD_SETUPS, type Connection, uploadServer } from "../support/upload-setups.js";
import { MY_IMAGES, REQUEST_UPLOAD, requestUpload, sendBytes } from "../support/uploads.js";

describe.each(UPLOAD_SETUPS)("uploads with the $name", (setup) => {
  const { driver } = setup;
  const { baseUrl, newUser, requestFor, complete } = uploadServer(setup);

  describe("rejections (SEC-10, SEC-11)", () => {
    it.each([
      ["SVG", "image/svg+xml"],
      ["HTML", "text/html"],
      ["anything else", "application/octet-stream"],
      ["an empty type", ""],
    ])("refuses to issue a ticket for %s", async (_label, contentType) => {
      const key = await newUser();
      const r = await gql(baseUrl(), REQUEST_UPLOAD, { input: { filename: "x.svg", contentType, size: 10 } }, key);
      expect(errorCode(r)).toBe("BAD_USER_INPUT");
    });

    it("refuses sizes of zero and above MAX_UPLOAD_BYTES before anything is sent", async () => {
      const key = await newUser();
      const zero = await gql(
        baseUrl(),
        REQUEST_UPLOAD,
        { input: { filename: "a.png", contentType: "image/png", size: 0 } },
        key,
      );
      expect(errorCode(zero)).toBe("BAD_USER_INPUT");
      const big = await gql(
        baseUrl(),
        REQUEST_UPLOAD,
        { input: { filename: "a.png", contentType: "image/png", size: 64 * 1024 + 1 } },
        key,
      );
      expect(errorCode(big)).toBe("PAYLOAD_TOO_LARGE");
    });

    it.each([
      ["an SVG declared as PNG", SVG, "image/png"],
      ["HTML renamed .png", HTML, "image/png"],
      ["a PNG header claiming 100000×100000", pngHeaderClaiming(100_000, 100_000), "image/png"],
      ["a PNG header claiming 16385×10", pngHeaderClaiming(16_385, 10), "image/png"],
      ["a PNG header claiming 8000×6000 (48 MP)", pngHeaderClaiming(8000, 6000), "image/png"],
      ["random bytes declared as JPEG", Buffer.from("not an image at all, honestly"), "image/jpeg"],
    ])(
      "rejects %s at completion, deletes the object, and keeps the ticket open",
      async (_label, bytes, contentType) => {
        const key = await newUser();
        const ticket = await requestFor(key, bytes, contentType, "evil.png");
        expect((await sendBytes(ticket, bytes)).ok).toBe(true);
        const r = await complete(key, ticket.uploadId);
        expect(errorCode(r)).toBe("BAD_USER_INPUT");
        // The object is gone: completing again finds nothing uploaded.
        expect((await complete(key, ticket.uploadId)).errors![0]!.message).toMatch(/Nothing has been uploaded/);
        expect((await gql<Connection>(baseUrl(), MY_IMAGES, {}, key)).data!.myImages.totalCount).toBe(0);
      },
    );

    it("rejects bytes of another type than requested (JPEG sent on a PNG ticket)", async () => {
      const key = await newUser();
      const jpeg = await makeImage("jpeg");
      const ticket = await requestFor(key, jpeg, "image/png");
      expect((await sendBytes(ticket, jpeg, "image/png")).ok).toBe(true);
      const r = await complete(key, ticket.uploadId);
      expect(errorCode(r)).toBe("BAD_USER_INPUT");
      expect(r.errors![0]!.message).toMatch(/image\/jpeg.*image\/png/);
    });

    it("lets the owner retry on the same ticket after a rejection", async () => {
      const key = await newUser();
      const good = await makeImage("png");
      const bad = Buffer.concat([SVG, Buffer.alloc(Math.max(0, good.length - SVG.length), 32)]).subarray(
        0,
        good.length,
      );
      const ticket = await requestFor(key, good, "image/png");
      await sendBytes(ticket, bad);
      expect(errorCode(await complete(key, ticket.uploadId))).toBe("BAD_USER_INPUT");
      expect((await sendBytes(ticket, good)).ok).toBe(true);
      const r = await complete(key, ticket.uploadId);
      expect(r.errors).toBeUndefined();
      expect(r.data!.completeUpload.id).toBe(ticket.uploadId);
    });

    it("rejects more bytes than the ticket allows, and an empty upload", async () => {
      const key = await newUser();
      const small = await makeImage("png");
      const ticket = await requestFor(key, small, "image/png");
      const bigger = Buffer.concat([small, Buffer.alloc(100)]);
      const sent = await sendBytes(ticket, bigger);
      // The store refuses it: local with 400/413, S3 (RGW) with 403 because the signed length differs.
      expect(sent.ok).toBe(false);
      expect(driver === "s3" ? [403] : [400, 413]).toContain(sent.status);
      expect(errorCode(await complete(key, ticket.uploadId))).toBe("BAD_USER_INPUT");
      const empty = await requestUpload(baseUrl(), key, { filename: "e.png", contentType: "image/png", size: 5 });
      const sentEmpty = await sendBytes(empty, Buffer.alloc(0));
      const r = await complete(key, empty.uploadId);
      expect(errorCode(r)).toBe("BAD_USER_INPUT");
      if (sentEmpty.ok) expect(r.errors![0]!.message).toMatch(/empty/);
      expect((await gql<Connection>(baseUrl(), MY_IMAGES, {}, key)).data!.myImages.totalCount).toBe(0);
    });

    it("says so when completing before any bytes were sent", async () => {
      const key = await newUser();
      const ticket = await requestUpload(baseUrl(), key, {
        filename: "a.png",
        contentType: "image/png",
        size: 50,
      });
      const r = await complete(key, ticket.uploadId);
      expect(errorCode(r)).toBe("BAD_USER_INPUT");
      expect(r.errors![0]!.message).toMatch(/send the bytes first/);
    });
  });
});
