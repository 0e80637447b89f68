import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError, DependencyUnavailableError, ErrorCode } from "../../server/errors.js";
import { registerLocalBlobRoutes } from "../../server/http/local-blob.routes.js";
import { BlobNotFoundError, type UploadTargetRequest } from "../../server/ports/blob-store.js";
import { createBlobStore } from "../../server/storage/create-blob-store.js";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { loadOrCreateSigningSecret } from "../../server/storage/signing-secret.js";

let tmp: string;
let root: string;
let server: http.Server;
let app: FastifyInstance;
let baseUrl: string;
let store: LocalBlobStore;
const secret = randomBytes(32);

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "imagehost-local-unit-"));
  root = path.join(tmp, "blobs");
  // A file next to the root that no crafted key may ever reach.
  await fs.writeFile(path.join(tmp, "secret.txt"), "do not serve");
  server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  store = new LocalBlobStore({ root, publicUrl: baseUrl, signingSecret: secret });
  app = Fastify({ logger: false, serverFactory: (handler) => server.on("request", handler) });
  registerLocalBlobRoutes(app, store, { servedPrefix: "img/" });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

const newKey = () => `img/${randomBytes(16).toString("base64url")}`;
const request = (overrides: Partial<UploadTargetRequest> = {}): UploadTargetRequest => ({
  key: newKey(),
  contentType: "image/png",
  maxBytes: 10_000,
  exactBytes: null,
  expiresAt: Date.now() + 60_000,
  method: "PUT",
  ...overrides,
});

async function uploadUrl(overrides: Partial<UploadTargetRequest> = {}): Promise<{ url: string; key: string }> {
  const req = request(overrides);
  return { url: (await store.createUploadTarget(req)).url, key: req.key };
}

function putBytes(url: string, bytes: Buffer, headers: Record<string, string> = { "content-type": "image/png" }) {
  return fetch(url, { method: "PUT", headers, body: new Uint8Array(bytes) });
}

async function stored(bytes: Buffer, contentType = "image/png"): Promise<string> {
  const { url, key } = await uploadUrl({ contentType });
  const response = await putBytes(url, bytes, { "content-type": contentType });
  expect(response.status).toBe(204);
  return key;
}

/** A request with the path exactly as written; fetch would normalise `..` and `%2e` away. */
function rawGet(rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}/`, { method: "GET", path: rawPath }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function leftovers(): Promise<string[]> {
  const names = await fs.readdir(path.join(root, "img")).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith("."));
}

describe("upload tokens", () => {
  it("round-trips the claims", async () => {
    const req = request({ exactBytes: 123 });
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
    const foreign = (await other.createUploadTarget(request())).url.slice(`${baseUrl}/uploads/`.length);

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
    const req = request({ expiresAt: Date.now() + 300 });
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
      expect((await errorOf(store.createUploadTarget(request({ key })))).code).toBe(ErrorCode.BAD_USER_INPUT);
      expect((await errorOf(store.writeStream(key, Readable.from([Buffer.from("x")]), limits()))).code).toBe(
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

const limits = (overrides: Partial<{ contentType: string; maxBytes: number; exactBytes: number | null }> = {}) => ({
  contentType: "image/png",
  maxBytes: 1000,
  exactBytes: null,
  ...overrides,
});

describe("writing", () => {
  it("stops at maxBytes while streaming and leaves no temp file", async () => {
    const key = newKey();
    const chunks = Array.from({ length: 20 }, () => randomBytes(100));
    const error = await errorOf(store.writeStream(key, Readable.from(chunks), limits()));
    expect(error.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    expect(await store.stat(key)).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it("refuses a size other than the declared one, and an empty body, leaving nothing", async () => {
    const key = newKey();
    const short = await errorOf(store.writeStream(key, Readable.from([randomBytes(99)]), limits({ exactBytes: 100 })));
    expect(short.code).toBe(ErrorCode.BAD_USER_INPUT);
    const empty = await errorOf(store.writeStream(key, Readable.from([]), limits()));
    expect(empty.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(await store.stat(key)).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it("cleans up when the sender fails midway", async () => {
    const key = newKey();
    const failing = new Readable({
      read() {
        this.push(randomBytes(50));
        this.destroy(new Error("connection reset"));
      },
    });
    await expect(store.writeStream(key, failing, limits())).rejects.toThrow(/connection reset/);
    expect(await store.stat(key)).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it("over HTTP: 413 before reading when Content-Length is too big, and for a chunked body that grows too big", async () => {
    const declared = await uploadUrl({ maxBytes: 1000 });
    const early = await putBytes(declared.url, randomBytes(1001));
    expect(early.status).toBe(413);
    expect(await early.json()).toMatchObject({ error: { code: "too_large", request_id: expect.any(String) } });

    const chunked = await uploadUrl({ maxBytes: 1000 });
    const body = Readable.toWeb(Readable.from(Array.from({ length: 10 }, () => randomBytes(300))));
    const late = await fetch(chunked.url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: body as ReadableStream<Uint8Array>,
      duplex: "half",
    } as RequestInit);
    expect(late.status).toBe(413);
    expect(await store.stat(chunked.key)).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it("over HTTP: refuses another Content-Type, none, a Content-Encoding, and a length other than the declared", async () => {
    const { url, key } = await uploadUrl({ exactBytes: 10 });
    const bytes = randomBytes(10);
    expect((await putBytes(url, bytes, { "content-type": "text/html" })).status).toBe(400);
    expect((await putBytes(url, bytes, { "content-type": "image/png; charset=utf-8" })).status).toBe(400);
    expect((await putBytes(url, bytes, {})).status).toBe(400);
    expect((await putBytes(url, bytes, { "content-type": "image/png", "content-encoding": "gzip" })).status).toBe(400);
    expect((await putBytes(url, randomBytes(11))).status).toBe(400);
    expect(await store.stat(key)).toBeNull();
    // Content types compare case-insensitively, as HTTP says.
    expect((await putBytes(url, bytes, { "content-type": "Image/PNG" })).status).toBe(204);
    expect(await store.stat(key)).toMatchObject({ size: 10, contentType: "image/png" });
  });

  it("never replaces stored bytes: a second PUT to the same URL is a 409", async () => {
    const { url, key } = await uploadUrl();
    const first = randomBytes(64);
    expect((await putBytes(url, first)).status).toBe(204);
    const second = await putBytes(url, randomBytes(64));
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ error: { code: "conflict", request_id: expect.any(String) } });
    expect(await store.readHead(key, 1000)).toEqual(first);
  });

  it("does not serve a blob whose sidecar never landed (a crash between the two renames)", async () => {
    const key = newKey();
    await fs.mkdir(path.join(root, "img"), { recursive: true });
    await fs.writeFile(path.join(root, key), randomBytes(20));
    expect(await store.stat(key)).toMatchObject({ size: 20, contentType: null });
    expect((await fetch(`${baseUrl}/files/${key}`)).status).toBe(404);
    const listed: string[] = [];
    for await (const item of store.list("img/")) listed.push(item.key);
    expect(listed).toContain(key);
    await store.delete(key);
    expect(await store.stat(key)).toBeNull();
  });
});

describe("serving /files", () => {
  let key: string;
  let bytes: Buffer;
  let etag: string;

  beforeAll(async () => {
    bytes = randomBytes(1000);
    key = await stored(bytes, "image/webp");
    etag = (await fetch(`${baseUrl}/files/${key}`, { method: "HEAD" })).headers.get("etag") ?? "";
  });

  it("sends the exact type with nosniff, a sandbox CSP, a strong ETag and a long cache", async () => {
    const response = await fetch(`${baseUrl}/files/${key}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/webp");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toBe("sandbox");
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(response.headers.get("content-length")).toBe("1000");
    expect(response.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  it("answers HEAD with the same headers and no body", async () => {
    const response = await fetch(`${baseUrl}/files/${key}`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/webp");
    expect(response.headers.get("content-length")).toBe("1000");
    expect(response.headers.get("etag")).toBe(etag);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers If-None-Match with 304", async () => {
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const response = await fetch(`${baseUrl}/files/${key}`, { headers: { "if-none-match": header } });
      expect(response.status, header).toBe(304);
      expect(response.headers.get("etag")).toBe(etag);
    }
    expect((await fetch(`${baseUrl}/files/${key}`, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
  });

  it("serves single byte ranges with 206 and refuses unsatisfiable ones with 416", async () => {
    const cases: [string, number, number][] = [
      ["bytes=0-9", 0, 9],
      ["bytes=990-", 990, 999],
      ["bytes=-5", 995, 999],
      ["bytes=500-5000", 500, 999],
    ];
    for (const [range, start, end] of cases) {
      const response = await fetch(`${baseUrl}/files/${key}`, { headers: { range } });
      expect(response.status, range).toBe(206);
      expect(response.headers.get("content-range")).toBe(`bytes ${start}-${end}/1000`);
      expect(response.headers.get("content-type")).toBe("image/webp");
      expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes.subarray(start, end + 1));
    }

    const unsatisfiable = await fetch(`${baseUrl}/files/${key}`, { headers: { range: "bytes=1000-" } });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get("content-range")).toBe("bytes */1000");

    // Several ranges, malformed ones and a stale If-Range all get the whole file, as RFC 9110 allows.
    const ignored: Record<string, string>[] = [
      { range: "bytes=0-1,5-6" },
      { range: "items=0-1" },
      { range: "bytes=0-9", "if-range": '"old"' },
    ];
    for (const headers of ignored) {
      const response = await fetch(`${baseUrl}/files/${key}`, { headers });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    }
    const current = await fetch(`${baseUrl}/files/${key}`, { headers: { range: "bytes=0-9", "if-range": etag } });
    expect(current.status).toBe(206);
  });

  it("answers an unknown key with a 404 JSON error", async () => {
    const response = await fetch(`${baseUrl}/files/${newKey()}`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      error: { code: "not_found", message: expect.any(String), request_id: expect.any(String) },
    });
  });
});

describe("readiness", () => {
  it("creates the root when missing", async () => {
    const fresh = new LocalBlobStore({
      root: path.join(tmp, "fresh", "blobs"),
      publicUrl: baseUrl,
      signingSecret: secret,
    });
    await fresh.checkReady();
    expect((await fs.stat(path.join(tmp, "fresh", "blobs"))).isDirectory()).toBe(true);
    expect(await fs.readdir(path.join(tmp, "fresh", "blobs"))).toEqual([]);
  });

  it("throws DependencyUnavailableError when the root cannot be written", async () => {
    const blocked = new LocalBlobStore({
      root: path.join(tmp, "secret.txt", "blobs"), // a file where a directory should be
      publicUrl: baseUrl,
      signingSecret: secret,
    });
    await expect(blocked.checkReady()).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});

describe("signing secret", () => {
  it("prefers the configured secret", async () => {
    const configured = "c".repeat(40);
    expect((await loadOrCreateSigningSecret(path.join(tmp, "data-a"), configured)).toString("utf8")).toBe(configured);
    await expect(fs.stat(path.join(tmp, "data-a"))).rejects.toThrow();
  });

  it("creates one 32-byte key, mode 0600, that concurrent starts agree on", async () => {
    const dataDir = path.join(tmp, "data-b");
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSigningSecret(dataDir, null)));
    expect(keys[0]?.length).toBe(32);
    for (const key of keys) expect(key.equals(keys[0] as Buffer)).toBe(true);
    const file = path.join(dataDir, "secrets", "upload-signing.key");
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.readdir(path.join(dataDir, "secrets"))).sort()).toEqual(["upload-signing.key"]);
    expect((await loadOrCreateSigningSecret(dataDir, null)).equals(keys[0] as Buffer)).toBe(true);
  });
});

describe("createBlobStore", () => {
  it("builds the adapter the config names, and names the routes its URLs need", () => {
    const options = { publicUrl: baseUrl, signingSecret: secret };
    const local = createBlobStore({ driver: "local", root }, options);
    expect(local.store).toBeInstanceOf(LocalBlobStore);
    expect(local.local).toBe(local.store);
    expect(local.relay).toBeNull();
    const s3 = createBlobStore(
      {
        driver: "s3",
        bucket: "b",
        region: "us-east-1",
        endpoint: "http://127.0.0.1:9",
        forcePathStyle: true,
        credentials: null,
        publicUrl: null,
      },
      options,
    );
    expect(s3.store).toBeInstanceOf(S3BlobStore);
    expect(s3.local).toBeNull();
    expect(s3.relay?.store).toBe(s3.store);
    expect(
      s3.relay?.tokens.verify(
        s3.relay.tokens.sign({ key: "up/x", contentType: "image/png", maxBytes: 1, expiresAt: Date.now() + 60_000 }),
      ),
    ).toMatchObject({ key: "up/x" });
    s3.close();
  });
});
