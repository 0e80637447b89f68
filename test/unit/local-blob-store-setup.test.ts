import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DependencyUnavailableError } from "../../server/errors.js";
import { createBlobStore } from "../../server/storage/create-blob-store.js";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { loadOrCreateSigningSecret } from "../../server/storage/signing-secret.js";
import { localBlobHarness } from "../support/local-blob-harness.js";

/** LocalBlobStore: readiness, the signing secret, and createBlobStore. */

const secret = randomBytes(32);
const harness = localBlobHarness(secret);
let tmp: string;
let root: string;
let baseUrl: string;
beforeAll(() => {
  ({ tmp, root, baseUrl } = harness);
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
  it("builds the adapter the config names, and names the routes its URLs need", async () => {
    const options = { publicUrl: baseUrl, signingSecret: secret };
    const local = await createBlobStore({ driver: "local", root }, options);
    expect(local.store).toBeInstanceOf(LocalBlobStore);
    expect(local.local).toBe(local.store);
    expect(local.relay).toBeNull();
    const s3 = await createBlobStore(
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
