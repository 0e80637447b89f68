import { describe, expect, it } from "vitest";
import { errorCode, gql } from "../support/graphql.js";
import { SVG, makeImage, expectSamePicture } from "../support/images.js";
import { UPLOAD_SETUPS, type Connection, uploadServer } from "../support/upload-setups.js";
import { DELETE_IMAGE, IMAGE, MY_IMAGES, fetchPublic, sendBytes, uploadImage } from "../support/uploads.js";

describe.each(UPLOAD_SETUPS)("uploads with the $name", (setup) => {
  const { driver } = setup;
  const { baseUrl, newUser, requestFor, complete } = uploadServer(setup);

  describe("ownership, retries and concurrency (SEC-15)", () => {
    it("returns the same image when completing twice", async () => {
      const key = await newUser();
      const bytes = await makeImage("webp");
      const ticket = await requestFor(key, bytes, "image/webp");
      await sendBytes(ticket, bytes);
      const first = await complete(key, ticket.uploadId);
      const second = await complete(key, ticket.uploadId);
      expect(second.data).toEqual(first.data);
      expect((await gql<Connection>(baseUrl(), MY_IMAGES, {}, key)).data!.myImages.totalCount).toBe(1);
    });

    it("keeps serving the verified bytes when the upload URL is used again after completion (SEC-11)", async () => {
      const key = await newUser();
      const bytes = await makeImage("png");
      const ticket = await requestFor(key, bytes, "image/png");
      await sendBytes(ticket, bytes);
      const image = (await complete(key, ticket.uploadId)).data!.completeUpload;
      // The URL may still be valid; what it writes now is never checked, so it must never be served.
      const swap = Buffer.concat([SVG, Buffer.alloc(Math.max(0, bytes.length - SVG.length), 32)]).subarray(
        0,
        bytes.length,
      );
      await sendBytes(ticket, swap);
      const served = await fetchPublic(image.url);
      await expectSamePicture(served.bytes, bytes);
      expect((await complete(key, ticket.uploadId)).data!.completeUpload).toEqual(image);
      if (driver === "local") {
        expect((await fetch(`${baseUrl()}/files/up/${ticket.uploadId}`)).status).toBe(404);
      }
    });

    it("makes one image out of concurrent completes", async () => {
      const key = await newUser();
      const bytes = await makeImage("jpeg");
      const ticket = await requestFor(key, bytes, "image/jpeg");
      await sendBytes(ticket, bytes);
      const results = await Promise.all(Array.from({ length: 6 }, () => complete(key, ticket.uploadId)));
      for (const r of results) expect(r.errors).toBeUndefined();
      expect(new Set(results.map((r) => JSON.stringify(r.data)))).toHaveProperty("size", 1);
      const listed = await gql<Connection>(baseUrl(), MY_IMAGES, {}, key);
      expect(listed.data!.myImages.totalCount).toBe(1);
      expect(listed.data!.myImages.nodes).toHaveLength(1);
    });

    it("treats someone else's ticket as NOT_FOUND and leaves it usable by its owner", async () => {
      const owner = await newUser();
      const thief = await newUser();
      const bytes = await makeImage("png");
      const ticket = await requestFor(owner, bytes, "image/png");
      await sendBytes(ticket, bytes);
      expect(errorCode(await complete(thief, ticket.uploadId))).toBe("NOT_FOUND");
      expect((await complete(owner, ticket.uploadId)).errors).toBeUndefined();
      // And after completion, still NOT_FOUND for the thief (no image handed over).
      expect(errorCode(await complete(thief, ticket.uploadId))).toBe("NOT_FOUND");
    });

    it("lets only the owner delete; others get NOT_FOUND and the image keeps working", async () => {
      const owner = await newUser();
      const other = await newUser();
      const bytes = await makeImage("png");
      const image = await uploadImage(baseUrl(), owner, bytes, "image/png");
      expect(errorCode(await gql(baseUrl(), DELETE_IMAGE, { id: image.id }, other))).toBe("NOT_FOUND");
      await expectSamePicture((await fetchPublic(image.url)).bytes, bytes);
      expect(errorCode(await gql(baseUrl(), DELETE_IMAGE, { id: image.id }))).toBe("UNAUTHENTICATED");
    });
  });

  describe("paths and ids (SEC-12)", () => {
    const hostile = [
      "../../etc/passwd",
      "..%2F..%2Fetc%2Fpasswd",
      "%2F",
      "a".repeat(5000),
      "ünïcödé-ïd-16chr",
      "img/abc",
      "AAAAAAAAAAAAAAAA",
    ];

    it.each(hostile)("answers 404 for the public link %#", async (id) => {
      for (const prefix of ["/image/", "/api/v1/image/"]) {
        const r = await fetch(`${baseUrl()}${prefix}${id.includes("%") ? id : encodeURIComponent(id)}`, {
          redirect: "manual",
        });
        expect(r.status).toBe(404);
      }
    });

    it("treats hostile ids as absent in GraphQL", async () => {
      const key = await newUser();
      for (const id of hostile) {
        expect((await gql(baseUrl(), IMAGE, { id })).data).toEqual({ image: null });
        expect(errorCode(await complete(key, id))).toBe("NOT_FOUND");
        expect(errorCode(await gql(baseUrl(), DELETE_IMAGE, { id }, key))).toBe("NOT_FOUND");
      }
    });

    it("keeps only the last path part of a filename, as a display name", async () => {
      const key = await newUser();
      const image = await uploadImage(baseUrl(), key, await makeImage("png"), "image/png", {
        filename: "../../etc/cat.png",
      });
      expect(image.filename).toBe("cat.png");
      expect(image.url).toBe(`${baseUrl()}/image/${image.id}`);
    });
  });
});
