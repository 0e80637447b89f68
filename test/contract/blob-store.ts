import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError, ErrorCode } from "../../server/errors.js";
import {
  BlobChangedError,
  BlobNotFoundError,
  type BlobListing,
  type BlobStore,
  type UploadTarget,
  type UploadTargetRequest,
} from "../../server/ports/blob-store.js";

export interface BlobStoreHarness {
  store: BlobStore;
  /** Sends `bytes` the way `target` says, as a client would. */
  upload: (target: UploadTarget, bytes: Buffer) => Promise<Response>;
  /** Stops every server and removes every directory the setup made. */
  cleanup: () => Promise<void>;
}

export interface BlobStoreCapabilities {
  /**
   * Whether the store itself refuses uploads that break the target's limits (signature, size, type, expiry). The
   * local driver and real S3 (RGW in this suite) do; s3rver checks neither signatures nor POST policies.
   */
  enforcesUploadLimits: boolean;
  /** Whether a PUT target issued without a declared size still stops at maxBytes. */
  limitsUndeclaredSizePut: boolean;
  /**
   * Whether the store honours a copy's precondition (S3: x-amz-copy-source-if-match). AWS S3, MinIO, R2 and
   * Garage do; RGW 16 and s3rver ignore it. `promote` must refuse a changed upload either way: the S3 adapter
   * checks what it copied.
   */
  honoursCopySourceIfMatch: boolean;
  /** Whether the store checks x-amz-checksum-* headers (AWS, RGW 18+). RGW 16 ignores them; none of our targets relies on them. */
  verifiesChecksumHeaders: boolean;
}

/** Sends bytes to an upload target: a PUT with its headers, or a multipart POST with its fields before the file. */
export async function uploadViaTarget(target: UploadTarget, bytes: Buffer): Promise<Response> {
  if (target.method === "PUT") {
    // Every header as given, Content-Length included: Node's fetch accepts it when it matches the body.
    return fetch(target.url, {
      method: "PUT",
      headers: target.headers.map((h): [string, string] => [h.name, h.value]),
      body: new Uint8Array(bytes),
    });
  }
  const form = new FormData();
  for (const field of target.fields) form.append(field.name, field.value);
  const type = target.fields.find((f) => f.name.toLowerCase() === "content-type")?.value ?? "";
  form.append("file", new Blob([new Uint8Array(bytes)], { type }), "upload");
  return fetch(target.url, { method: "POST", body: form });
}

/** The whole behaviour of the blob-store port; every adapter runs it. */
export function defineBlobStoreContract(
  name: string,
  setup: () => Promise<BlobStoreHarness>,
  capabilities: BlobStoreCapabilities,
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let harness: BlobStoreHarness | undefined;
    const h = (): BlobStoreHarness => {
      if (harness === undefined) throw new Error("setup did not complete");
      return harness;
    };

    beforeAll(async () => {
      harness = await setup();
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    const newKey = (prefix = "img") => `${prefix}/${randomBytes(16).toString("base64url")}`;
    const imageBytes = (size: number) => {
      const bytes = randomBytes(size);
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
      return bytes;
    };
    const request = (overrides: Partial<UploadTargetRequest> = {}): UploadTargetRequest => ({
      key: newKey(),
      contentType: "image/png",
      maxBytes: 64 * 1024,
      exactBytes: null,
      expiresAt: Date.now() + 10 * 60_000,
      method: "PUT",
      ...overrides,
    });
    async function put(bytes: Buffer, overrides: Partial<UploadTargetRequest> = {}): Promise<string> {
      const req = request(overrides);
      const response = await h().upload(await h().store.createUploadTarget(req), bytes);
      expect(response.ok, `upload answered ${response.status}: ${await response.clone().text()}`).toBe(true);
      return req.key;
    }
    async function listAll(prefix: string): Promise<BlobListing[]> {
      const found: BlobListing[] = [];
      for await (const item of h().store.list(prefix)) found.push(item);
      return found;
    }
    async function expectAppError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
      const error: unknown = await promise.then(
        () => new Error("expected a rejection"),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe(code);
    }

    it("is ready and names its driver", async () => {
      await expect(h().store.checkReady()).resolves.toBeUndefined();
      expect(["local", "s3"]).toContain(h().store.driver);
    });

    it("stores exactly the uploaded bytes, with their type, and serves them from downloadUrl", async () => {
      const bytes = imageBytes(5000);
      const startedAt = Date.now();
      const key = await put(bytes);

      expect(await h().store.stat(key)).toMatchObject({
        size: 5000,
        contentType: "image/png",
        version: expect.any(String),
      });
      expect(await h().store.readHead(key, 8)).toEqual(bytes.subarray(0, 8));

      const listed = (await listAll("img/")).find((item) => item.key === key);
      expect(listed?.size).toBe(5000);
      // Clocks of a store and this process may disagree a little; a minute of slack.
      expect(Math.abs((listed?.lastModified ?? 0) - startedAt)).toBeLessThan(60_000);

      const download = await h().store.downloadUrl(key, "image/png");
      expect(download.expiresAt === null || download.expiresAt > Date.now()).toBe(true);
      const response = await fetch(download.url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    });

    it("promotes a checked upload to its final key, and refuses one that changed since its check", async () => {
      const bytes = imageBytes(3000);
      const from = await put(bytes, { key: newKey("up") });
      const checked = (await h().store.stat(from))!;
      expect(checked.version).not.toBe("");
      const to = newKey("img");
      await h().store.promote(from, to, checked.version);
      expect(await h().store.stat(from)).toBeNull();
      expect(await h().store.stat(to)).toMatchObject({
        size: 3000,
        contentType: "image/png",
        version: checked.version,
      });
      const served = await fetch((await h().store.downloadUrl(to, "image/png")).url);
      expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);

      await expect(h().store.promote(from, newKey("img"), checked.version)).rejects.toBeInstanceOf(BlobNotFoundError);
      const other = await put(imageBytes(3000), { key: newKey("up") });
      const stale = (await h().store.stat(other))!.version === checked.version ? "something-else" : checked.version;
      // Whatever the store does with copy preconditions (capabilities.honoursCopySourceIfMatch): nothing changed
      // since its check reaches the final key.
      const target = newKey("img");
      await expect(h().store.promote(other, target, stale)).rejects.toBeInstanceOf(BlobChangedError);
      expect(await h().store.stat(other)).not.toBeNull();
      expect(await h().store.stat(target)).toBeNull();
    });

    it("tells the client how to send the bytes", async () => {
      const putTarget = await h().store.createUploadTarget(request({ method: "PUT" }));
      expect(putTarget.method).toBe("PUT");
      expect(putTarget.url).toMatch(/^https?:\/\//);
      expect(putTarget.headers).toContainEqual({ name: "Content-Type", value: "image/png" });
      expect(putTarget.fields).toEqual([]);

      // POST is a multipart form on S3; a store without it answers with a PUT target, and `method` says so.
      const post = await h().store.createUploadTarget(request({ method: "POST" }));
      if (post.method === "POST") {
        expect(post.fields).toContainEqual({ name: "Content-Type", value: "image/png" });
        expect(post.headers).toEqual([]);
      } else {
        expect(post.headers).toContainEqual({ name: "Content-Type", value: "image/png" });
      }
    });

    it("accepts an upload through a target requested as POST", async () => {
      const bytes = imageBytes(1234);
      const key = await put(bytes, { method: "POST", contentType: "image/webp" });
      expect(await h().store.stat(key)).toMatchObject({ size: 1234, contentType: "image/webp" });
      expect(await h().store.readHead(key, 10_000)).toEqual(bytes);
    });

    it("accepts an upload of the exact declared size", async () => {
      const bytes = imageBytes(777);
      const key = await put(bytes, { exactBytes: 777 });
      expect((await h().store.stat(key))?.size).toBe(777);
    });

    it("reads fewer bytes than asked from a shorter object", async () => {
      const bytes = imageBytes(10);
      const key = await put(bytes);
      expect(await h().store.readHead(key, 4096)).toEqual(bytes);
      expect(await h().store.readHead(key, 10)).toEqual(bytes);
      expect(await h().store.readHead(key, 3)).toEqual(bytes.subarray(0, 3));
    });

    it("reports an absent object as null and refuses to read it", async () => {
      const key = newKey();
      expect(await h().store.stat(key)).toBeNull();
      // A typed error, not a client-facing message: the service decides what an absent object means.
      await expect(h().store.readHead(key, 16)).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it("deletes, and deleting again (or something never stored) is not an error", async () => {
      const key = await put(imageBytes(100));
      await h().store.delete(key);
      expect(await h().store.stat(key)).toBeNull();
      expect((await listAll("img/")).map((item) => item.key)).not.toContain(key);
      await expect(h().store.delete(key)).resolves.toBeUndefined();
      await expect(h().store.delete(newKey())).resolves.toBeUndefined();
    });

    it("lists only what is under the prefix", async () => {
      const inside = await put(imageBytes(50), { key: newKey("img") });
      const outside = await put(imageBytes(60), { key: newKey("other") });
      const keys = (await listAll("img/")).map((item) => item.key);
      expect(keys).toContain(inside);
      expect(keys).not.toContain(outside);
      expect(keys.every((key) => key.startsWith("img/"))).toBe(true);
      const all = (await listAll("")).map((item) => item.key);
      expect(all).toEqual(expect.arrayContaining([inside, outside]));
    });

    it("refuses keys the server could not have made (SEC-12)", async () => {
      for (const key of ["../x", "img/../../etc", "img/a%2Fb", `img/${"a".repeat(129)}`, "img/é", "img/a.b", "img"]) {
        await expectAppError(h().store.createUploadTarget(request({ key })), ErrorCode.BAD_USER_INPUT);
        await expectAppError(h().store.downloadUrl(key, "image/png"), ErrorCode.BAD_USER_INPUT);
        expect(await h().store.stat(key)).toBeNull();
      }
    });

    it("refuses to create a target that has already expired or breaks its own limits", async () => {
      await expectAppError(
        h().store.createUploadTarget(request({ expiresAt: Date.now() - 1000 })),
        ErrorCode.BAD_USER_INPUT,
      );
      await expectAppError(
        h().store.createUploadTarget(request({ maxBytes: 10, exactBytes: 11 })),
        ErrorCode.BAD_USER_INPUT,
      );
      await expectAppError(
        h().store.createUploadTarget(request({ contentType: "image/png\r\nX-Evil: 1" })),
        ErrorCode.BAD_USER_INPUT,
      );
    });

    // Defined only for stores that enforce limits themselves (see BlobStoreCapabilities); for the others,
    // completeUpload's own checks are what the integration tests exercise.
    if (capabilities.enforcesUploadLimits)
      describe("upload limits enforced by the store", () => {
        if (capabilities.limitsUndeclaredSizePut)
          it("rejects a body larger than maxBytes sent to a PUT target without a declared size", async () => {
            const req = request({ maxBytes: 1000 });
            const response = await h().upload(await h().store.createUploadTarget(req), imageBytes(1001));
            expect(response.status).toBe(413);
            expect(await h().store.stat(req.key)).toBeNull();
          });

        it("rejects a POST body larger than maxBytes, and keeps nothing", async () => {
          const req = request({ maxBytes: 1000, method: "POST" });
          const response = await h().upload(await h().store.createUploadTarget(req), imageBytes(1001));
          expect(response.ok).toBe(false);
          expect([400, 413]).toContain(response.status);
          expect(await h().store.stat(req.key)).toBeNull();
        });

        it("rejects a body whose size differs from the declared one", async () => {
          const req = request({ exactBytes: 500 });
          const target = await h().store.createUploadTarget(req);
          // The body's own length goes on the wire (as browsers send it), not the signed one.
          const headers = target.headers.filter((f) => f.name.toLowerCase() !== "content-length");
          const response = await h().upload({ ...target, headers }, imageBytes(499));
          expect(response.ok).toBe(false);
          expect(await h().store.stat(req.key)).toBeNull();
        });

        it("rejects a body sent with another Content-Type", async () => {
          const req = request({ contentType: "image/png" });
          const target = await h().store.createUploadTarget(req);
          const forged: UploadTarget = {
            ...target,
            headers: target.headers.map((f) => (f.name === "Content-Type" ? { ...f, value: "text/html" } : f)),
            fields: target.fields.map((f) => (f.name === "Content-Type" ? { ...f, value: "text/html" } : f)),
          };
          const response = await h().upload(forged, imageBytes(100));
          expect(response.ok).toBe(false);
          expect(await h().store.stat(req.key)).toBeNull();
        });
      });
  });
}
