import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../server/errors.js";
import { BlobNotFoundError } from "../../server/ports/blob-store.js";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { errorOf, localBlobHarness, putBytes, uploadRequest, writeLimits } from "../support/local-blob-harness.js";

/** LocalBlobStore: signed upload URLs, and keys no client may craft (SEC-12). */

const secret = randomBytes(32);
const harness = localBlobHarness(secret);
const { uploadUrl, rawGet } = harness;
let root: string;
let baseUrl: string;
let store: LocalBlobStore;
beforeAll(() => {
  ({ root, baseUrl, store } = harness);
});

describe("upload tokens", () => {
  it("round-trips the claims", async () => {
    const req = uploadRequest({ exactBytes: 123 });
    const { url } = await store.createUploadTarget(req);
    const token = url.slice(`${baseUrl}/uploads/`.length);
    expect(store.verifyUploadToken(token)).toEqual({
      key: req.key,
      contentType: "image/png",
      maxBytes: 10_000,
      exactBytes: 123,
      expiresAt: req.expiresAt,
    });
  });

  it("rejects a tampered payload, a tampered signature, another secret and garbage", async () => {
    const { url } = await uploadUrl();
    const token = url.slice(`${baseUrl}/uploads/`.length);
    const [payload = "", mac = ""] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown[];
    claims[3] = 10 ** 9; // a bigger maxBytes
    const forgedPayload = Buffer.from(JSON.stringify(claims)).toString("base64url");
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    const other = new LocalBlobStore({ root, publicUrl: baseUrl, signingSecret: randomBytes(32) });
    const foreign = (await other.createUploadTarget(uploadRequest())).url.slice(`${baseUrl}/uploads/`.length);

    const forged = [
      `${forgedPayload}.${mac}`,
      `${payload}.${flip(mac)}`,
      foreign,
      "x",
      "",
      `${payload}.`,
      `${token}.x`,
    ];
    for (const bad of forged) {
      expect(() => store.verifyUploadToken(bad)).toThrow(/not valid/);
      const response = await putBytes(`${baseUrl}/uploads/${bad}`, Buffer.from("12345"));
      expect([400, 404]).toContain(response.status);
    }
  });

  it("rejects an expired token, over HTTP with a clear message", async () => {
    const req = uploadRequest({ expiresAt: Date.now() + 300 });
    const { url } = await store.createUploadTarget(req);
    const token = url.slice(`${baseUrl}/uploads/`.length);
    expect(() => store.verifyUploadToken(token, req.expiresAt + 1)).toThrow(/expired/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const response = await putBytes(url, Buffer.from("12345"));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "validation", message: expect.stringMatching(/expired/), request_id: expect.any(String) },
    });
    expect(await store.stat(req.key)).toBeNull();
  });
});

describe("crafted keys (SEC-12)", () => {
  const crafted = [
    "../x",
    "img/../../etc",
    "img/..",
    "img/a%2Fb",
    `img/${"a".repeat(129)}`,
    "img/é",
    "img/a.b",
    "img/a/b",
    "/img/a",
    "IMG/a",
    "",
  ];

  it("are refused for uploads and name nothing for reads", async () => {
    for (const key of crafted) {
      expect((await errorOf(store.createUploadTarget(uploadRequest({ key })))).code).toBe(ErrorCode.BAD_USER_INPUT);
      expect((await errorOf(store.writeStream(key, Readable.from([Buffer.from("x")]), writeLimits()))).code).toBe(
        ErrorCode.BAD_USER_INPUT,
      );
      expect(await store.stat(key)).toBeNull();
      expect(await store.openRead(key)).toBeNull();
      await expect(store.readHead(key, 4)).rejects.toBeInstanceOf(BlobNotFoundError);
    }
  });

  it("are 404 over HTTP and never reach files outside the root", async () => {
    const paths = [
      "/files/../secret.txt",
      "/files/img/../../secret.txt",
      "/files/..%2Fsecret.txt",
      "/files/img%2F..%2F..%2Fsecret.txt",
      "/files/img/%2e%2e/%2e%2e/secret.txt",
      "/files/%2e%2e/secret.txt",
      `/files/img/${"a".repeat(129)}`,
      "/files/img/%C3%A9",
      "/files/img/",
      "/files/",
    ];
    for (const rawPath of paths) {
      const { status, body } = await rawGet(rawPath);
      expect(status, rawPath).toBe(404);
      expect(body).not.toContain("do not serve");
    }
  });
});
