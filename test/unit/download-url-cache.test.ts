import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withCachedDownloadUrls } from "../../server/storage/download-url-cache.js";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";

/** The signed-URL cache in front of a blob store: one signing per key, and the least recently used key goes first. */
describe("withCachedDownloadUrls", () => {
  let root: string;
  let signed: string[];
  let store: LocalBlobStore;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "ih-url-cache-"));
    const real = new LocalBlobStore({ root, publicUrl: "http://127.0.0.1:9", signingSecret: randomBytes(32) });
    // Counts what reaches the real store; everything else passes through.
    store = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== "downloadUrl") return Reflect.get(target, prop, receiver);
        return (key: string, contentType: string) => (signed.push(key), target.downloadUrl(key, contentType));
      },
    });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("asks the store once per key, and evicts the least recently used key when full", async () => {
    signed = [];
    const cached = withCachedDownloadUrls(store, 2);
    const url = (id: string) => cached.downloadUrl(`img/${id}`, "image/png");
    expect(await url("a")).toEqual(await url("a"));
    await url("b");
    await url("a"); // a is now the most recently used
    await url("c"); // full: b goes, not a
    await url("a");
    expect(signed).toEqual(["img/a", "img/b", "img/c"]);
    await url("b");
    expect(signed).toEqual(["img/a", "img/b", "img/c", "img/b"]);
  });
});
