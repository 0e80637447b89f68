import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../server/errors.js";
import { BlobChangedError } from "../../server/ports/blob-store.js";
import type { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { errorOf, localBlobHarness, newKey, putBytes, writeLimits } from "../support/local-blob-harness.js";

/** LocalBlobStore: writing blobs (streamed and over HTTP PUT): limits, failures half-way, no replacing. */

const secret = randomBytes(32);
const harness = localBlobHarness(secret);
const { uploadUrl, leftovers } = harness;
let root: string;
let baseUrl: string;
let store: LocalBlobStore;
beforeAll(() => {
  ({ root, baseUrl, store } = harness);
});

describe("writing", () => {
  it("stops at maxBytes while streaming and leaves no temp file", async () => {
    const key = newKey();
    const chunks = Array.from({ length: 20 }, () => randomBytes(100));
    const error = await errorOf(store.writeStream(key, Readable.from(chunks), writeLimits()));
    expect(error.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    expect(await store.stat(key)).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it("refuses a size other than the declared one, and an empty body, leaving nothing", async () => {
    const key = newKey();
    const short = await errorOf(
      store.writeStream(key, Readable.from([randomBytes(99)]), writeLimits({ exactBytes: 100 })),
    );
    expect(short.code).toBe(ErrorCode.BAD_USER_INPUT);
    const empty = await errorOf(store.writeStream(key, Readable.from([]), writeLimits()));
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
    await expect(store.writeStream(key, failing, writeLimits())).rejects.toThrow(/connection reset/);
    expect(await store.stat(key)).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it("stops and cleans up when the sender goes away without an error, also before the store listens", async () => {
    const key = newKey();
    const vanishing = new Readable({
      read() {
        this.push(randomBytes(50));
        this.destroy();
      },
    });
    await expect(store.writeStream(key, vanishing, writeLimits())).rejects.toThrow(/premature close/i);
    const gone = new Readable({ read() {} });
    gone.destroy();
    await expect(store.writeStream(key, gone, writeLimits())).rejects.toThrow(/premature close/i);
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
    // The refused body's temp file is gone again.
    expect(await leftovers()).toEqual([]);
  });

  it("closes every file it opens, whether a write succeeds, is refused or fails midway", async () => {
    // The writer works on plain descriptors (no GC safety net): any path that forgets one leaks it for good.
    const openUnderRoot = async () => {
      const links = await Promise.all(
        (await fs.readdir("/proc/self/fd")).map((fd) => fs.readlink(`/proc/self/fd/${fd}`).catch(() => "")),
      );
      return links.filter((target) => target.startsWith(root));
    };
    const key = newKey();
    await store.writeStream(key, Readable.from([randomBytes(300)]), writeLimits());
    await store.put(newKey(), randomBytes(40), "image/png");
    const refusals = [
      () => store.writeStream(key, Readable.from([randomBytes(10)]), writeLimits()), // already stored
      () => store.writeStream(newKey(), Readable.from([randomBytes(5000)]), writeLimits()), // too large
      () => store.writeStream(newKey(), Readable.from([]), writeLimits()), // empty
      () =>
        store.writeStream(
          newKey(),
          new Readable({
            read() {
              this.push(randomBytes(50));
              this.destroy(new Error("connection reset"));
            },
          }),
          writeLimits(),
        ),
    ];
    for (const refused of refusals) await expect(refused()).rejects.toThrow();
    expect(await openUnderRoot()).toEqual([]);
    expect(await leftovers()).toEqual([]);
  });

  it("stores the bytes exactly when they arrive in many small and large chunks (gathered writes)", async () => {
    const key = newKey();
    const chunks = [
      ...Array.from({ length: 600 }, (_, i) => randomBytes(1 + (i % 7))),
      ...Array.from({ length: 40 }, () => randomBytes(64 * 1024)),
      Buffer.alloc(0),
      randomBytes(3),
    ];
    const bytes = Buffer.concat(chunks);
    const { size } = await store.writeStream(key, Readable.from(chunks), writeLimits({ maxBytes: bytes.length }));
    expect(size).toBe(bytes.length);
    expect((await store.readHead(key, bytes.length + 1)).equals(bytes)).toBe(true);
    expect(await store.stat(key)).toEqual({
      size: bytes.length,
      contentType: "image/png",
      version: expect.any(String),
    });
    expect(await leftovers()).toEqual([]);
  });

  it("stores a blob as one file, its type and a version of its own in a header before the bytes", async () => {
    const bytes = randomBytes(500);
    const [streamed, written] = [newKey(), newKey()];
    await store.writeStream(streamed, Readable.from([bytes]), writeLimits());
    await store.put(written, bytes, "image/webp");
    const versions = [(await store.stat(streamed))?.version, (await store.stat(written))?.version];
    for (const version of versions) expect(version).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // Drawn for each write, not from the bytes: the same bytes twice are two versions.
    expect(versions[0]).not.toBe(versions[1]);
    expect(await fs.readdir(path.join(root, "img"))).toEqual(expect.arrayContaining([streamed, written].map(idOf)));
    expect((await fs.readdir(path.join(root, "img"))).filter((name) => name.includes("."))).toEqual([]);
    const file = await fs.readFile(path.join(root, written));
    expect(file.subarray(file.length - bytes.length).equals(bytes)).toBe(true);
    expect(file.subarray(0, file.length - bytes.length).toString("latin1")).toContain('"contentType":"image/webp"');
    // Everything that reads the bytes skips the header.
    expect((await store.readHead(written, 10_000)).equals(bytes)).toBe(true);
    const listed: { key: string; size: number }[] = [];
    for await (const item of store.list("img/")) listed.push(item);
    expect(listed).toContainEqual(expect.objectContaining({ key: written, size: bytes.length }));
    const promoted = newKey();
    await store.promote(written, promoted, versions[1]!);
    expect(await store.stat(promoted)).toEqual({ size: 500, contentType: "image/webp", version: versions[1] });
    // A damaged header is not trusted: the blob is not served.
    const damaged = Buffer.from(file);
    damaged.write("x", file.indexOf('"contentType"'), "latin1");
    await fs.writeFile(path.join(root, streamed), damaged);
    expect(await store.stat(streamed)).toMatchObject({ contentType: null, version: "" });
    expect((await fetch(`${baseUrl}/files/${streamed}`)).status).toBe(404);
  });

  it("reads, serves and promotes blobs stored by earlier releases (bytes alone, a .meta.json sidecar beside)", async () => {
    const bytes = randomBytes(300);
    const key = newKey();
    const sha256 = createHash("sha256").update(bytes).digest("base64url");
    await fs.mkdir(path.join(root, "img"), { recursive: true });
    await fs.writeFile(path.join(root, key), bytes);
    await fs.writeFile(
      path.join(root, `${key}.meta.json`),
      JSON.stringify({ v: 1, contentType: "image/png", size: bytes.length, sha256 }),
    );
    expect(await store.stat(key)).toEqual({ size: 300, contentType: "image/png", version: sha256 });
    const served = await fetch(`${baseUrl}/files/${key}`, { headers: { range: "bytes=10-19" } });
    expect(served.status).toBe(206);
    expect(served.headers.get("etag")).toBe(`"${sha256}"`);
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
    const promoted = newKey();
    await expect(store.promote(key, promoted, "another version")).rejects.toBeInstanceOf(BlobChangedError);
    await store.promote(key, promoted, sha256);
    expect(await store.stat(promoted)).toEqual({ size: 300, contentType: "image/png", version: sha256 });
    expect((await store.readHead(promoted, 1000)).equals(bytes)).toBe(true);
    expect(await fs.readdir(path.join(root, "img"))).not.toContain(`${idOf(key)}.meta.json`);
  });

  it("makes the prefix directory again when it was removed after the store first wrote there", async () => {
    // The store remembers directories it has made; an operator's cleanup must not break the next write.
    await store.writeStream(newKey(), Readable.from([randomBytes(10)]), writeLimits());
    await store.put(newKey(), randomBytes(10), "image/png");
    await fs.rm(path.join(root, "img"), { recursive: true });
    const streamed = newKey();
    await store.writeStream(streamed, Readable.from([randomBytes(10)]), writeLimits());
    expect(await store.stat(streamed)).toMatchObject({ size: 10, contentType: "image/png" });
    await fs.rm(path.join(root, "img"), { recursive: true });
    const written = newKey();
    await store.put(written, randomBytes(12), "image/webp");
    expect(await store.stat(written)).toMatchObject({ size: 12, contentType: "image/webp" });
    expect(await leftovers()).toEqual([]);
  });

  it("replacing a blob of the sidecar format removes its sidecar (it describes bytes that are gone)", async () => {
    const key = newKey();
    await fs.mkdir(path.join(root, "img"), { recursive: true });
    const bytes = randomBytes(20);
    await fs.writeFile(path.join(root, key), bytes);
    const sha256 = createHash("sha256").update(bytes).digest("base64url");
    await fs.writeFile(
      path.join(root, `${key}.meta.json`),
      JSON.stringify({ v: 1, contentType: "image/png", size: 20, sha256 }),
    );
    await store.put(key, Buffer.from("new bytes"), "image/webp");
    expect(await store.stat(key)).toMatchObject({ size: 9, contentType: "image/webp" });
    expect(await fs.readdir(path.join(root, "img"))).not.toContain(`${idOf(key)}.meta.json`);
  });

  it("does not serve a blob whose sidecar never landed (earlier releases' format: a crash between the two renames)", async () => {
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

/** The file name of `key`'s blob in its prefix directory. */
const idOf = (key: string) => key.slice(key.indexOf("/") + 1);
