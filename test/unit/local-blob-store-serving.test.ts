import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { localBlobHarness, newKey } from "../support/local-blob-harness.js";

/** LocalBlobStore: the /files route that serves blobs. */

const secret = randomBytes(32);
const harness = localBlobHarness(secret);
const { stored } = harness;
let baseUrl: string;
beforeAll(() => {
  ({ baseUrl } = harness);
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
    expect(response.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
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
