import { describe, expect, it } from "vitest";
import { errorCode, gql } from "../support/graphql.js";
import { IMAGE_KINDS, MIME, makeImage, expectSamePicture } from "../support/images.js";
import { UPLOAD_SETUPS, type Connection, uploadServer } from "../support/upload-setups.js";
import {
  DELETE_IMAGE,
  IMAGE,
  MY_IMAGES,
  REQUEST_UPLOAD,
  awaitProcessed,
  fetchPublic,
  requestUpload,
  sendBytes,
  uploadImage,
} from "../support/uploads.js";

describe.each(UPLOAD_SETUPS)("uploads with the $name", (setup) => {
  const { driver } = setup;
  const { baseUrl, newUser, requestFor, complete, s3 } = uploadServer(setup);

  it.each(IMAGE_KINDS)("uploads a %s, lists it, serves the exact bytes, deletes it, and then 404s", async (kind) => {
    const key = await newUser();
    const bytes = await makeImage(kind, 9, 4);
    const image = await uploadImage(baseUrl(), key, bytes, MIME[kind], { filename: `holiday.${kind}` });
    expect(image).toMatchObject({
      filename: `holiday.${kind}`,
      contentType: MIME[kind],
      size: bytes.length,
      width: 9,
      height: 4,
    });
    expect(image.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(image.url).toBe(`${baseUrl()}/image/${image.id}`);

    const listed = await gql<Connection>(baseUrl(), MY_IMAGES, {}, key);
    expect(listed.data!.myImages.nodes.map((n) => n.id)).toEqual([image.id]);
    expect(listed.data!.myImages.totalCount).toBe(1);
    expect((await gql(baseUrl(), IMAGE, { id: image.id })).data).toEqual({ image });

    const served = await fetchPublic(image.url);
    expect(served.status).toBe(200);
    await expectSamePicture(served.bytes, bytes);
    expect(served.contentType).toBe(MIME[kind]);
    const head = await fetch(image.url, { method: "HEAD", redirect: "manual" });
    expect(head.status).toBe(302);
    const alias = await fetch(`${baseUrl()}/api/v1/image/${image.id}`, { redirect: "manual" });
    expect(alias.status).toBe(302);

    expect((await gql(baseUrl(), DELETE_IMAGE, { id: image.id }, key)).data).toEqual({ deleteImage: true });
    expect((await fetch(image.url, { redirect: "manual" })).status).toBe(404);
    expect((await fetchPublic(served.location!)).status).not.toBe(200);
    expect((await gql(baseUrl(), IMAGE, { id: image.id })).data).toEqual({ image: null });
    const after = await gql<Connection>(baseUrl(), MY_IMAGES, {}, key);
    expect(after.data!.myImages).toMatchObject({ totalCount: 0, nodes: [] });
  });

  it("issues a ticket that says how to send the bytes", async () => {
    const key = await newUser();
    const ticket = await requestUpload(baseUrl(), key, {
      filename: "a.png",
      contentType: "image/png",
      size: 1234,
    });
    expect(ticket.method).toBe("PUT");
    expect(ticket.maxBytes).toBe(1234);
    expect(ticket.headers).toContainEqual({ name: "Content-Type", value: "image/png" });
    const ttl = Date.parse(ticket.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    expect(ticket.uploadId).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  if (driver === "s3") {
    it("offers a presigned POST form and completes an upload sent with it", async () => {
      const key = await newUser();
      const bytes = await makeImage("png");
      const image = await uploadImage(baseUrl(), key, bytes, "image/png", { method: "POST" });
      await expectSamePicture((await fetchPublic(image.url)).bytes, bytes);
    });

    it("redirects to a presigned GET and signs it once per key, not per request", async () => {
      const key = await newUser();
      const image = await uploadImage(baseUrl(), key, await makeImage("gif"), "image/gif");
      const a = (await awaitProcessed(image.url)).headers.get("location")!;
      // A URL signed now would differ from `a` (SigV4 signs the second it was made): once that second has passed,
      // an identical URL can only be the cached one.
      const signedAt = new URL(a).searchParams.get("X-Amz-Date")!;
      const amzDate = () => new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
      const deadline = Date.now() + 5_000;
      while (amzDate() <= signedAt && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(amzDate() > signedAt).toBe(true);
      const b = (await fetch(image.url, { redirect: "manual" })).headers.get("location")!;
      expect(a).toContain("X-Amz-Signature=");
      expect(a.startsWith(`${s3()!.endpoint}/${s3()!.bucket}/img/${image.id}`)).toBe(true);
      expect(b).toBe(a);
    });
  } else {
    it("falls back to PUT when POST is asked of local storage", async () => {
      const key = await newUser();
      const ticket = await requestUpload(baseUrl(), key, {
        filename: "a.png",
        contentType: "image/png",
        size: 10,
        method: "POST",
      });
      expect(ticket.method).toBe("PUT");
    });
  }

  describe("paging", () => {
    it("pages newest first with cursors and a total count", async () => {
      const key = await newUser();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await uploadImage(baseUrl(), key, await makeImage("gif"), "image/gif")).id);
      const seen: string[] = [];
      let after: string | null = null;
      for (const expected of [2, 2, 1]) {
        const page: Awaited<ReturnType<typeof gql<Connection>>> = await gql<Connection>(
          baseUrl(),
          MY_IMAGES,
          { first: 2, after },
          key,
        );
        const conn = page.data!.myImages;
        expect(conn.totalCount).toBe(5);
        expect(conn.edges).toHaveLength(expected);
        seen.push(...conn.edges.map((e) => e.node.id));
        expect(conn.pageInfo.hasNextPage).toBe(seen.length < 5);
        after = conn.pageInfo.endCursor;
      }
      expect(seen).toEqual([...ids].reverse());
    });

    it("gives the same images and cursors whether a query reads nodes, edges or both", async () => {
      const key = await newUser();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await uploadImage(baseUrl(), key, await makeImage("gif"), "image/gif")).id);
      const newestFirst = [...ids].reverse();
      type Page = { myImages: Partial<Connection["myImages"]> };
      const read = async (selection: string, after: string | null = null) =>
        (
          await gql<Page>(
            baseUrl(),
            `query($a: String) { myImages(first: 3, after: $a) { ${selection} } }`,
            { a: after },
            key,
          )
        ).data!.myImages;
      const nodesOnly = await read("nodes { id } pageInfo { endCursor }");
      const edgesOnly = await read("edges { cursor node { id } }");
      expect(nodesOnly.nodes!.map((n) => n.id)).toEqual(newestFirst.slice(0, 3));
      expect(edgesOnly.edges!.map((e) => e.node.id)).toEqual(newestFirst.slice(0, 3));
      expect(nodesOnly.pageInfo!.endCursor).toBe(edgesOnly.edges![2]!.cursor);
      const afterFirst = await read("nodes { id }", edgesOnly.edges![0]!.cursor);
      expect(afterFirst.nodes!.map((n) => n.id)).toEqual(newestFirst.slice(1, 4));
    });

    it("refuses pages over 100 and malformed cursors", async () => {
      const key = await newUser();
      expect(errorCode(await gql(baseUrl(), MY_IMAGES, { first: 101 }, key))).toBe("BAD_USER_INPUT");
      expect(errorCode(await gql(baseUrl(), MY_IMAGES, { first: -1 }, key))).toBe("BAD_USER_INPUT");
      expect(errorCode(await gql(baseUrl(), MY_IMAGES, { after: "garbage" }, key))).toBe("BAD_USER_INPUT");
      expect(errorCode(await gql(baseUrl(), MY_IMAGES, {}))).toBe("UNAUTHENTICATED");
    });
  });

  it("limits open tickets per user to 10 (SEC-13); completing one frees its slot", async () => {
    const key = await newUser();
    const bytes = await makeImage("png");
    const real = await requestFor(key, bytes, "image/png");
    const input = { filename: "a.png", contentType: "image/png", size: 100 };
    for (let i = 0; i < 9; i++) await requestUpload(baseUrl(), key, input);
    const refused = await gql(baseUrl(), REQUEST_UPLOAD, { input }, key);
    expect(errorCode(refused)).toBe("RATE_LIMITED");
    expect(refused.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
    // The limit is per user.
    expect(errorCode(await gql(baseUrl(), REQUEST_UPLOAD, { input }, await newUser()))).toBeUndefined();
    await sendBytes(real, bytes);
    expect((await complete(key, real.uploadId)).errors).toBeUndefined();
    expect(errorCode(await gql(baseUrl(), REQUEST_UPLOAD, { input }, key))).toBeUndefined();
  });
});
