import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AppError, ErrorCode } from "../../server/errors.js";
import type { UploadTargetRequest } from "../../server/ports/blob-store.js";
import { DOWNLOAD_URL_TTL_SECONDS } from "../../server/storage/s3-blob-store.js";
import { RelayTokens } from "../../server/storage/upload-relay-token.js";
import { decodePostPolicy, signedHeadersOf, signingInstantOf } from "../support/presigned.js";
import { offline, s3StoreFactory, uploadRequest } from "../support/s3-offline.js";

/** S3BlobStore without a server: presigned PUT URLs and POST policies, request validation, download URLs. */

const makeStore = s3StoreFactory();

/** SigV4 signing key, per the AWS documentation. */
function signingKey(secret: string, date: string, region: string): Buffer {
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), "s3"), "aws4_request");
}

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Recomputes a presigned URL's signature for a request with `headers`, the way S3 does, so a test can show which
 * header values S3 would accept.
 */
function presignedUrlAccepts(url: string, method: string, headers: Record<string, string>, secret: string): boolean {
  const parsed = new URL(url);
  const query = [...parsed.searchParams.entries()].filter(([name]) => name !== "X-Amz-Signature");
  const canonicalQuery = query
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  const signed = signedHeadersOf(url);
  const all: Record<string, string> = { host: parsed.host, ...headers };
  const lower = Object.fromEntries(Object.entries(all).map(([name, value]) => [name.toLowerCase(), value.trim()]));
  const canonicalHeaders = signed.map((name) => `${name}:${lower[name] ?? ""}\n`).join("");
  const canonicalRequest = [
    method,
    parsed.pathname,
    canonicalQuery,
    canonicalHeaders,
    signed.join(";"),
    parsed.searchParams.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD",
  ].join("\n");
  const [, date = "", region = ""] = (parsed.searchParams.get("X-Amz-Credential") ?? "").split("/");
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    parsed.searchParams.get("X-Amz-Date"),
    `${date}/${region}/s3/aws4_request`,
    createHash("sha256").update(canonicalRequest).digest("hex"),
  ].join("\n");
  const expected = createHmac("sha256", signingKey(secret, date, region))
    .update(stringToSign)
    .digest("hex");
  return expected === parsed.searchParams.get("X-Amz-Signature");
}

describe("presigned PUT", () => {
  const secret = offline.credentials?.secretAccessKey ?? "";

  it("signs content-type, so S3 refuses any other type", async () => {
    const target = await makeStore().createUploadTarget(uploadRequest({ exactBytes: 1234 }));
    expect(target.method).toBe("PUT");
    expect(target.headers).toContainEqual({ name: "Content-Type", value: "image/png" });
    expect(target.fields).toEqual([]);
    expect(new URL(target.url).pathname).toBe("/imagehost-bucket/img/AbC_d-123");

    const signed = signedHeadersOf(target.url);
    expect(signed).toContain("content-type");
    expect(signed).toContain("host");

    const ok = { "content-type": "image/png", "content-length": "1234" };
    expect(presignedUrlAccepts(target.url, "PUT", ok, secret)).toBe(true);
    expect(presignedUrlAccepts(target.url, "PUT", { ...ok, "content-type": "text/html" }, secret)).toBe(false);
    expect(presignedUrlAccepts(target.url, "GET", ok, secret)).toBe(false);
  });

  it("never presigns a PUT without a length: it points at the relay on this server, or is refused", async () => {
    await expect(makeStore().createUploadTarget(uploadRequest())).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    const tokens = new RelayTokens(Buffer.alloc(32, 7));
    const store = makeStore(offline, {}, { publicUrl: "http://app.example/", tokens });
    const target = await store.createUploadTarget(uploadRequest({ maxBytes: 5000 }));
    expect(target).toMatchObject({ method: "PUT", headers: [{ name: "Content-Type", value: "image/png" }] });
    expect(target.url).toMatch(/^http:\/\/app\.example\/uploads\/s3\/[^/?]+$/);
    expect(target.url).not.toContain("X-Amz-Signature");
    const token = target.url.split("/").pop()!;
    expect(tokens.verify(token)).toMatchObject({ key: "img/AbC_d-123", contentType: "image/png", maxBytes: 5000 });
    expect(() => tokens.verify(tamperedMac(token))).toThrow(/not valid/);
    expect(() => new RelayTokens(Buffer.alloc(32, 8)).verify(token)).toThrow(/not valid/);
  });

  it("also signs content-length when the size is known", async () => {
    const target = await makeStore().createUploadTarget(uploadRequest({ exactBytes: 4321 }));
    expect(signedHeadersOf(target.url)).toEqual(expect.arrayContaining(["content-type", "content-length", "host"]));
    expect(target.headers).toEqual([
      { name: "Content-Type", value: "image/png" },
      { name: "Content-Length", value: "4321" },
    ]);
    const ok = { "content-type": "image/png", "content-length": "4321" };
    expect(presignedUrlAccepts(target.url, "PUT", ok, secret)).toBe(true);
    expect(presignedUrlAccepts(target.url, "PUT", { ...ok, "content-length": "4322" }, secret)).toBe(false);
  });

  it("expires with the ticket and carries no checksum a plain PUT could not match", async () => {
    const target = await makeStore().createUploadTarget(
      uploadRequest({ expiresAt: Date.now() + 300_000, exactBytes: 10 }),
    );
    const params = new URL(target.url).searchParams;
    expect(Number(params.get("X-Amz-Expires"))).toBeGreaterThanOrEqual(298);
    expect(Number(params.get("X-Amz-Expires"))).toBeLessThanOrEqual(300);
    expect(params.get("X-Amz-Content-Sha256")).toBe("UNSIGNED-PAYLOAD");
    const names = [...params.keys(), ...signedHeadersOf(target.url)].map((n) => n.toLowerCase());
    expect(names.filter((n) => n.includes("checksum"))).toEqual([]);
  });
});

describe("presigned POST policy", () => {
  it("pins bucket, key, Content-Type and 1..maxBytes, and expires with the ticket", async () => {
    const expiresAt = Date.now() + 600_000;
    const target = await makeStore().createUploadTarget(
      uploadRequest({ method: "POST", maxBytes: 5_000_000, expiresAt }),
    );
    expect(target.method).toBe("POST");
    expect(target.url).toBe("http://127.0.0.1:9/imagehost-bucket");
    expect(target.headers).toEqual([]);
    const fields = Object.fromEntries(target.fields.map((f) => [f.name, f.value]));
    expect(fields).toMatchObject({ key: "img/AbC_d-123", "Content-Type": "image/png", bucket: "imagehost-bucket" });
    expect(target.fields.map((f) => f.name)).not.toContain("file");

    const policy = decodePostPolicy(target.fields);
    expect(Math.abs(Date.parse(policy.expiration) - expiresAt)).toBeLessThan(2_000);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ["content-length-range", 1, 5_000_000],
        { "Content-Type": "image/png" },
        { key: "img/AbC_d-123" },
        { bucket: "imagehost-bucket" },
      ]),
    );
    // Only exact matches: no starts-with that would let a client pick another key or type.
    expect(policy.conditions.filter((c) => Array.isArray(c) && c[0] !== "content-length-range")).toEqual([]);
    const ranges = policy.conditions.filter((c) => Array.isArray(c) && c[0] === "content-length-range");
    expect(ranges).toHaveLength(1);
    // Every form field except the policy and its signature is itself pinned by the policy.
    for (const [name, value] of Object.entries(fields)) {
      if (name === "Policy" || name === "X-Amz-Signature") continue;
      expect(policy.conditions).toContainEqual({ [name]: value });
    }
  });

  it("narrows the size range to the declared size", async () => {
    const target = await makeStore().createUploadTarget(uploadRequest({ method: "POST", exactBytes: 1234 }));
    expect(decodePostPolicy(target.fields).conditions).toContainEqual(["content-length-range", 1234, 1234]);
  });

  it("is signed: the signature covers exactly this policy", async () => {
    const target = await makeStore().createUploadTarget(uploadRequest({ method: "POST" }));
    const fields = Object.fromEntries(target.fields.map((f) => [f.name, f.value]));
    const [, date = "", region = ""] = (fields["X-Amz-Credential"] ?? "").split("/");
    const key = signingKey(offline.credentials?.secretAccessKey ?? "", date, region);
    const sign = (policy: string) => createHmac("sha256", key).update(policy).digest("hex");
    expect(sign(fields.Policy ?? "")).toBe(fields["X-Amz-Signature"]);
    const loosened = Buffer.from(
      JSON.stringify({ ...decodePostPolicy(target.fields), conditions: [["starts-with", "$key", ""]] }),
    ).toString("base64");
    expect(sign(loosened)).not.toBe(fields["X-Amz-Signature"]);
  });
});

describe("request validation", () => {
  it("refuses an expired ticket, inconsistent sizes, odd types and crafted keys", async () => {
    const store = makeStore();
    const bad: Partial<UploadTargetRequest>[] = [
      { expiresAt: Date.now() - 1 },
      { exactBytes: 0 },
      { maxBytes: 10, exactBytes: 11 },
      { maxBytes: 0 },
      { contentType: "image/png\r\nx-amz-acl: public-read-write" },
      { contentType: "" },
      { key: "../img/x" },
      { key: "img/a/../../b" },
      { key: `img/${"x".repeat(129)}` },
      { key: "img/ä" },
    ];
    for (const overrides of bad) {
      for (const method of ["PUT", "POST"] as const) {
        const error = await store.createUploadTarget(uploadRequest({ ...overrides, method })).catch((e: unknown) => e);
        expect(error, JSON.stringify(overrides)).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe(ErrorCode.BAD_USER_INPUT);
      }
    }
  });
});

describe("downloadUrl", () => {
  it("joins the public base URL when one is configured, and never expires", async () => {
    const store = makeStore({ ...offline, publicUrl: "https://cdn.example.com/images/" });
    expect(await store.downloadUrl("img/abc", "image/png")).toEqual({
      url: "https://cdn.example.com/images/img/abc",
      expiresAt: null,
    });
    await expect(store.downloadUrl("img/../../x", "image/png")).rejects.toBeInstanceOf(AppError);
  });

  it("presigns a GET that answers with the stored type otherwise", async () => {
    const before = Date.now();
    const { url, expiresAt } = await makeStore().downloadUrl("img/abc", "image/avif");
    const params = new URL(url).searchParams;
    expect(params.get("response-content-type")).toBe("image/avif");
    expect(Number(params.get("X-Amz-Expires"))).toBe(DOWNLOAD_URL_TTL_SECONDS);
    // Exactly when the store stops honouring it: its signing instant (whole seconds) plus its lifetime.
    const signedAt = signingInstantOf(url).getTime();
    expect(expiresAt).toBe(signedAt + DOWNLOAD_URL_TTL_SECONDS * 1000);
    expect(signedAt).toBeGreaterThan(before - 1000);
    expect(signedAt).toBeLessThanOrEqual(Date.now());
  });
});

/**
 * The token with its MAC's first character changed. (Not the last: its low bits are padding, so some changes there
 * decode to the same MAC.)
 */
function tamperedMac(token: string): string {
  const dot = token.indexOf(".");
  return token.slice(0, dot + 1) + (token[dot + 1] === "A" ? "B" : "A") + token.slice(dot + 2);
}
