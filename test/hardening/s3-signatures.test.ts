import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UploadTarget, UploadTargetRequest } from "../../server/ports/blob-store.js";
import { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { uploadViaTarget } from "../contract/blob-store.js";
import { rgwBucket } from "../support/rgw-bucket.js";

/**
 * SEC-10: what we sign for S3 is enforced by the store itself, not only by completeUpload afterwards. Every attack
 * goes to a real S3 (Ceph RGW) and must be refused there, leaving no object behind.
 */
describe("S3 upload targets attacked against a real S3 (RGW) (SEC-10)", () => {
  let store: S3BlobStore;
  beforeAll(async () => {
    store = new S3BlobStore(await rgwBucket());
  });
  afterAll(() => store?.close());

  const png = (size: number) => {
    const bytes = randomBytes(size);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
    return bytes;
  };
  const request = (overrides: Partial<UploadTargetRequest> = {}): UploadTargetRequest => ({
    key: `up/${randomBytes(12).toString("base64url")}`,
    contentType: "image/png",
    maxBytes: 4096,
    exactBytes: 1000,
    expiresAt: Date.now() + 10 * 60_000,
    method: "PUT",
    ...overrides,
  });
  const put = (url: string, headers: Record<string, string>, body: Buffer) =>
    fetch(url, { method: "PUT", headers, body: new Uint8Array(body) });
  async function expectRefused(response: Response, key: string, statuses: number[]) {
    expect(statuses, `answered ${response.status}: ${await response.clone().text()}`).toContain(response.status);
    expect(await store.stat(key)).toBeNull();
  }

  it("accepts the PUT exactly as issued (the baseline the attacks depart from)", async () => {
    const req = request();
    const target = await store.createUploadTarget(req);
    const response = await put(target.url, { "Content-Type": "image/png" }, png(1000));
    expect(response.status).toBe(200);
    expect(await store.stat(req.key)).toMatchObject({ size: 1000, contentType: "image/png" });
  });

  it("refuses a PUT with a tampered signature", async () => {
    const req = request();
    const target = await store.createUploadTarget(req);
    const url = new URL(target.url);
    const signature = url.searchParams.get("X-Amz-Signature")!;
    url.searchParams.set("X-Amz-Signature", (signature[0] === "0" ? "1" : "0") + signature.slice(1));
    await expectRefused(await put(url.href, { "Content-Type": "image/png" }, png(1000)), req.key, [403]);
  });

  it("refuses a PUT with another Content-Type, or none", async () => {
    const req = request();
    const target = await store.createUploadTarget(req);
    await expectRefused(await put(target.url, { "Content-Type": "text/html" }, png(1000)), req.key, [403]);
    await expectRefused(await put(target.url, {}, png(1000)), req.key, [403]);
  });

  it("refuses a PUT one byte longer or shorter than the signed length", async () => {
    const req = request();
    const target = await store.createUploadTarget(req);
    await expectRefused(await put(target.url, { "Content-Type": "image/png" }, png(1001)), req.key, [403]);
    await expectRefused(await put(target.url, { "Content-Type": "image/png" }, png(999)), req.key, [403]);
  });

  it("refuses a PUT after the URL expired", async () => {
    const req = request({ expiresAt: Date.now() + 1_999 });
    const target = await store.createUploadTarget(req);
    // Signed for 1 s (whole seconds); wait until S3 must consider it expired.
    const signedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, signedAt + 2_100 - Date.now())));
    await expectRefused(await put(target.url, { "Content-Type": "image/png" }, png(1000)), req.key, [403]);
  });

  describe("presigned POST", () => {
    const postTarget = (overrides: Partial<UploadTargetRequest> = {}) =>
      store.createUploadTarget(request({ method: "POST", exactBytes: null, maxBytes: 2000, ...overrides }));
    const withField = (target: UploadTarget, name: string, value: string): UploadTarget => ({
      ...target,
      fields: target.fields.some((f) => f.name === name)
        ? target.fields.map((f) => (f.name === name ? { name, value } : f))
        : [...target.fields, { name, value }],
    });

    it("accepts the form as issued", async () => {
      const req = request({ method: "POST", exactBytes: null, maxBytes: 2000 });
      const response = await uploadViaTarget(await store.createUploadTarget(req), png(1500));
      expect(response.ok).toBe(true);
      expect(await store.stat(req.key)).toMatchObject({ size: 1500, contentType: "image/png" });
    });

    it("refuses the form for another key", async () => {
      const target = await postTarget();
      const otherKey = `up/${randomBytes(12).toString("base64url")}`;
      await expectRefused(await uploadViaTarget(withField(target, "key", otherKey), png(100)), otherKey, [403]);
    });

    it("refuses the form with another Content-Type", async () => {
      const req = request({ method: "POST", exactBytes: null, maxBytes: 2000 });
      const target = await store.createUploadTarget(req);
      await expectRefused(
        await uploadViaTarget(withField(target, "Content-Type", "text/html"), png(100)),
        req.key,
        [403],
      );
    });

    it("refuses the form with an extra field the policy does not name", async () => {
      const req = request({ method: "POST", exactBytes: null, maxBytes: 2000 });
      const target = await store.createUploadTarget(req);
      const extra = withField(target, "x-amz-meta-evil", "1");
      await expectRefused(await uploadViaTarget(extra, png(100)), req.key, [403]);
      const acl = withField(target, "acl", "public-read");
      await expectRefused(await uploadViaTarget(acl, png(100)), req.key, [403]);
    });

    it("refuses a file over the policy's length range", async () => {
      const req = request({ method: "POST", exactBytes: null, maxBytes: 2000 });
      const target = await store.createUploadTarget(req);
      await expectRefused(await uploadViaTarget(target, png(2001)), req.key, [400]);
    });
  });
});
