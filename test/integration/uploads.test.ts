import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { HTML, IMAGE_KINDS, MIME, SVG, makeImage, pngHeaderClaiming, expectSamePicture } from "../support/images.js";
import { startTestRedisCluster, type TestRedisCluster } from "../support/redis-cluster.js";
import type { S3StorageConfig } from "../../server/config.js";
import { rgwBucket, rgwEnv } from "../support/rgw-bucket.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import {
  COMPLETE_UPLOAD,
  DELETE_IMAGE,
  IMAGE,
  MY_IMAGES,
  REQUEST_UPLOAD,
  type ImageData,
  type Ticket,
  awaitProcessed,
  fetchPublic,
  requestUpload,
  sendBytes,
  uploadImage,
} from "../support/uploads.js";

const REGISTER = `mutation($u: String!) { register(username: $u, password: "sturdy-maple-orbit-5") { apiKey user { id } } }`;

type Connection = {
  myImages: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: ImageData }[];
    nodes: { id: string }[];
  };
};

/** The whole upload flow (DESIGN.md "Upload flow"; SEC-10–SEC-13, SEC-15, SEC-16), on both storage drivers. */
const SETUPS = [
  { name: "local driver", driver: "local", cluster: false },
  { name: "s3 driver (Ceph RGW)", driver: "s3", cluster: false },
  { name: "local driver on a 3-master Redis Cluster", driver: "local", cluster: true },
] as const;

describe.each(SETUPS)("uploads with the $name", ({ driver, cluster }) => {
  let server: TestApp;
  let s3: S3StorageConfig | undefined;
  let redisCluster: TestRedisCluster | undefined;

  beforeAll(async () => {
    let env: Record<string, string> = { MAX_UPLOAD_BYTES: String(64 * 1024) };
    if (cluster) {
      redisCluster = await startTestRedisCluster();
      env = { ...env, REDIS_CLUSTER_NODES: redisCluster.nodes };
    }
    if (driver === "s3") {
      s3 = await rgwBucket();
      env = {
        ...env,
        ...rgwEnv(s3),
      };
    }
    server = await startTestApp(env);
  });
  afterAll(async () => {
    await server?.close();
    await redisCluster?.destroy();
  });

  async function newUser(): Promise<string> {
    const r = await gql<{ register: { apiKey: string } }>(server.baseUrl, REGISTER, { u: uniqueUsername(driver) });
    return r.data!.register.apiKey;
  }

  async function requestFor(key: string, bytes: Buffer, contentType: string, filename = "f") {
    return requestUpload(server.baseUrl, key, { filename, contentType, size: bytes.length });
  }

  async function complete(key: string, uploadId: string) {
    return gql<{ completeUpload: ImageData }>(server.baseUrl, COMPLETE_UPLOAD, { id: uploadId }, key);
  }

  it.each(IMAGE_KINDS)("uploads a %s, lists it, serves the exact bytes, deletes it, and then 404s", async (kind) => {
    const key = await newUser();
    const bytes = await makeImage(kind, 9, 4);
    const image = await uploadImage(server.baseUrl, key, bytes, MIME[kind], { filename: `holiday.${kind}` });
    expect(image).toMatchObject({
      filename: `holiday.${kind}`,
      contentType: MIME[kind],
      size: bytes.length,
      width: 9,
      height: 4,
    });
    expect(image.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(image.url).toBe(`${server.baseUrl}/image/${image.id}`);

    const listed = await gql<Connection>(server.baseUrl, MY_IMAGES, {}, key);
    expect(listed.data!.myImages.nodes.map((n) => n.id)).toEqual([image.id]);
    expect(listed.data!.myImages.totalCount).toBe(1);
    expect((await gql(server.baseUrl, IMAGE, { id: image.id })).data).toEqual({ image });

    const served = await fetchPublic(image.url);
    expect(served.status).toBe(200);
    await expectSamePicture(served.bytes, bytes);
    expect(served.contentType).toBe(MIME[kind]);
    const head = await fetch(image.url, { method: "HEAD", redirect: "manual" });
    expect(head.status).toBe(302);
    const alias = await fetch(`${server.baseUrl}/api/v1/image/${image.id}`, { redirect: "manual" });
    expect(alias.status).toBe(302);

    expect((await gql(server.baseUrl, DELETE_IMAGE, { id: image.id }, key)).data).toEqual({ deleteImage: true });
    expect((await fetch(image.url, { redirect: "manual" })).status).toBe(404);
    expect((await fetchPublic(served.location!)).status).not.toBe(200);
    expect((await gql(server.baseUrl, IMAGE, { id: image.id })).data).toEqual({ image: null });
    const after = await gql<Connection>(server.baseUrl, MY_IMAGES, {}, key);
    expect(after.data!.myImages).toMatchObject({ totalCount: 0, nodes: [] });
  });

  it("issues a ticket that says how to send the bytes", async () => {
    const key = await newUser();
    const ticket = await requestUpload(server.baseUrl, key, {
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
      const image = await uploadImage(server.baseUrl, key, bytes, "image/png", { method: "POST" });
      await expectSamePicture((await fetchPublic(image.url)).bytes, bytes);
    });

    it("redirects to a presigned GET and signs it once per key, not per request", async () => {
      const key = await newUser();
      const image = await uploadImage(server.baseUrl, key, await makeImage("gif"), "image/gif");
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
      expect(a.startsWith(`${s3!.endpoint}/${s3!.bucket}/img/${image.id}`)).toBe(true);
      expect(b).toBe(a);
    });
  } else {
    it("falls back to PUT when POST is asked of local storage", async () => {
      const key = await newUser();
      const ticket = await requestUpload(server.baseUrl, key, {
        filename: "a.png",
        contentType: "image/png",
        size: 10,
        method: "POST",
      });
      expect(ticket.method).toBe("PUT");
    });
  }

  describe("rejections (SEC-10, SEC-11)", () => {
    it.each([
      ["SVG", "image/svg+xml"],
      ["HTML", "text/html"],
      ["anything else", "application/octet-stream"],
      ["an empty type", ""],
    ])("refuses to issue a ticket for %s", async (_label, contentType) => {
      const key = await newUser();
      const r = await gql(server.baseUrl, REQUEST_UPLOAD, { input: { filename: "x.svg", contentType, size: 10 } }, key);
      expect(errorCode(r)).toBe("BAD_USER_INPUT");
    });

    it("refuses sizes of zero and above MAX_UPLOAD_BYTES before anything is sent", async () => {
      const key = await newUser();
      const zero = await gql(
        server.baseUrl,
        REQUEST_UPLOAD,
        { input: { filename: "a.png", contentType: "image/png", size: 0 } },
        key,
      );
      expect(errorCode(zero)).toBe("BAD_USER_INPUT");
      const big = await gql(
        server.baseUrl,
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
        expect((await gql<Connection>(server.baseUrl, MY_IMAGES, {}, key)).data!.myImages.totalCount).toBe(0);
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
      const empty = await requestUpload(server.baseUrl, key, { filename: "e.png", contentType: "image/png", size: 5 });
      const sentEmpty = await sendBytes(empty, Buffer.alloc(0));
      const r = await complete(key, empty.uploadId);
      expect(errorCode(r)).toBe("BAD_USER_INPUT");
      if (sentEmpty.ok) expect(r.errors![0]!.message).toMatch(/empty/);
      expect((await gql<Connection>(server.baseUrl, MY_IMAGES, {}, key)).data!.myImages.totalCount).toBe(0);
    });

    it("says so when completing before any bytes were sent", async () => {
      const key = await newUser();
      const ticket = await requestUpload(server.baseUrl, key, {
        filename: "a.png",
        contentType: "image/png",
        size: 50,
      });
      const r = await complete(key, ticket.uploadId);
      expect(errorCode(r)).toBe("BAD_USER_INPUT");
      expect(r.errors![0]!.message).toMatch(/send the bytes first/);
    });
  });

  describe("ownership, retries and concurrency (SEC-15)", () => {
    it("returns the same image when completing twice", async () => {
      const key = await newUser();
      const bytes = await makeImage("webp");
      const ticket = await requestFor(key, bytes, "image/webp");
      await sendBytes(ticket, bytes);
      const first = await complete(key, ticket.uploadId);
      const second = await complete(key, ticket.uploadId);
      expect(second.data).toEqual(first.data);
      expect((await gql<Connection>(server.baseUrl, MY_IMAGES, {}, key)).data!.myImages.totalCount).toBe(1);
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
        expect((await fetch(`${server.baseUrl}/files/up/${ticket.uploadId}`)).status).toBe(404);
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
      const listed = await gql<Connection>(server.baseUrl, MY_IMAGES, {}, key);
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
      const image = await uploadImage(server.baseUrl, owner, bytes, "image/png");
      expect(errorCode(await gql(server.baseUrl, DELETE_IMAGE, { id: image.id }, other))).toBe("NOT_FOUND");
      await expectSamePicture((await fetchPublic(image.url)).bytes, bytes);
      expect(errorCode(await gql(server.baseUrl, DELETE_IMAGE, { id: image.id }))).toBe("UNAUTHENTICATED");
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
        const r = await fetch(`${server.baseUrl}${prefix}${id.includes("%") ? id : encodeURIComponent(id)}`, {
          redirect: "manual",
        });
        expect(r.status).toBe(404);
      }
    });

    it("treats hostile ids as absent in GraphQL", async () => {
      const key = await newUser();
      for (const id of hostile) {
        expect((await gql(server.baseUrl, IMAGE, { id })).data).toEqual({ image: null });
        expect(errorCode(await complete(key, id))).toBe("NOT_FOUND");
        expect(errorCode(await gql(server.baseUrl, DELETE_IMAGE, { id }, key))).toBe("NOT_FOUND");
      }
    });

    it("keeps only the last path part of a filename, as a display name", async () => {
      const key = await newUser();
      const image = await uploadImage(server.baseUrl, key, await makeImage("png"), "image/png", {
        filename: "../../etc/cat.png",
      });
      expect(image.filename).toBe("cat.png");
      expect(image.url).toBe(`${server.baseUrl}/image/${image.id}`);
    });
  });

  describe("paging", () => {
    it("pages newest first with cursors and a total count", async () => {
      const key = await newUser();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await uploadImage(server.baseUrl, key, await makeImage("gif"), "image/gif")).id);
      const seen: string[] = [];
      let after: string | null = null;
      for (const expected of [2, 2, 1]) {
        const page: Awaited<ReturnType<typeof gql<Connection>>> = await gql<Connection>(
          server.baseUrl,
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

    it("refuses pages over 100 and malformed cursors", async () => {
      const key = await newUser();
      expect(errorCode(await gql(server.baseUrl, MY_IMAGES, { first: 101 }, key))).toBe("BAD_USER_INPUT");
      expect(errorCode(await gql(server.baseUrl, MY_IMAGES, { first: -1 }, key))).toBe("BAD_USER_INPUT");
      expect(errorCode(await gql(server.baseUrl, MY_IMAGES, { after: "garbage" }, key))).toBe("BAD_USER_INPUT");
      expect(errorCode(await gql(server.baseUrl, MY_IMAGES, {}))).toBe("UNAUTHENTICATED");
    });
  });

  it("limits open tickets per user to 10 (SEC-13); completing one frees its slot", async () => {
    const key = await newUser();
    const bytes = await makeImage("png");
    const real = await requestFor(key, bytes, "image/png");
    const input = { filename: "a.png", contentType: "image/png", size: 100 };
    for (let i = 0; i < 9; i++) await requestUpload(server.baseUrl, key, input);
    const refused = await gql(server.baseUrl, REQUEST_UPLOAD, { input }, key);
    expect(errorCode(refused)).toBe("RATE_LIMITED");
    expect(refused.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
    // The limit is per user.
    expect(errorCode(await gql(server.baseUrl, REQUEST_UPLOAD, { input }, await newUser()))).toBeUndefined();
    await sendBytes(real, bytes);
    expect((await complete(key, real.uploadId)).errors).toBeUndefined();
    expect(errorCode(await gql(server.baseUrl, REQUEST_UPLOAD, { input }, key))).toBeUndefined();
  });
});

describe("quotas (SEC-13)", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({ QUOTA_IMAGES: "2", QUOTA_BYTES: "100000" });
  });
  afterAll(() => server?.close());

  it("refuses an upload request over the image-count or byte quota", async () => {
    const key = (await gql<{ register: { apiKey: string } }>(server.baseUrl, REGISTER, { u: uniqueUsername("quota") }))
      .data!.register.apiKey;
    const big = await gql(
      server.baseUrl,
      REQUEST_UPLOAD,
      { input: { filename: "a.png", contentType: "image/png", size: 100_001 } },
      key,
    );
    expect(errorCode(big)).toBe("PAYLOAD_TOO_LARGE");
    expect(big.errors![0]!.message).toMatch(/quota/i);
    await uploadImage(server.baseUrl, key, await makeImage("png"), "image/png");
    await uploadImage(server.baseUrl, key, await makeImage("png"), "image/png");
    const third = await gql(
      server.baseUrl,
      REQUEST_UPLOAD,
      { input: { filename: "a.png", contentType: "image/png", size: 100 } },
      key,
    );
    expect(errorCode(third)).toBe("PAYLOAD_TOO_LARGE");
    expect(third.errors![0]!.message).toMatch(/2 images/);
  });

  it("grants no more than the quota to concurrent requests, and completes no more (issue 15)", async () => {
    const key = (await gql<{ register: { apiKey: string } }>(server.baseUrl, REGISTER, { u: uniqueUsername("quota") }))
      .data!.register.apiKey;
    const bytes = await makeImage("png");
    const requests = await Promise.all(
      Array.from({ length: 6 }, () =>
        gql<{ requestUpload: Ticket }>(
          server.baseUrl,
          REQUEST_UPLOAD,
          { input: { filename: "a.png", contentType: "image/png", size: bytes.length } },
          key,
        ),
      ),
    );
    const granted = requests.filter((r) => r.errors === undefined).map((r) => r.data!.requestUpload);
    expect(granted).toHaveLength(2);
    for (const refused of requests.filter((r) => r.errors !== undefined)) {
      expect(errorCode(refused)).toBe("PAYLOAD_TOO_LARGE");
      expect(refused.errors![0]!.message).toMatch(/2 images, counting uploads in progress/);
    }
    for (const ticket of granted) {
      await sendBytes(ticket, bytes);
      expect((await gql(server.baseUrl, COMPLETE_UPLOAD, { id: ticket.uploadId }, key)).errors).toBeUndefined();
    }
    const listed = await gql<{ myImages: { totalCount: number } }>(server.baseUrl, MY_IMAGES, {}, key);
    expect(listed.data!.myImages.totalCount).toBe(2);
  });
});
