import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3StorageConfig } from "../../server/config.js";
import { S3DownloadSigner } from "../../server/storage/s3-download-signer.js";
import { signingInstantOf } from "../support/presigned.js";
import { rgwBucket } from "../support/rgw-bucket.js";

/** A client as S3BlobStore makes one, counting the SDK's own runs of its middleware stack (one per SDK-made URL). */
function countingClient(options: NonNullable<ConstructorParameters<typeof S3Client>[0]>) {
  const client = new S3Client({
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...options,
  });
  const runs = { count: 0 };
  client.middlewareStack.add(
    (next) => (args) => {
      runs.count++;
      return next(args);
    },
    { step: "initialize", name: "countRuns" },
  );
  return { client, runs };
}

/** What the SDK's presigner makes for the same GET, signed at the instant `url` names. */
async function sdkUrlAtSameInstant(
  client: S3Client,
  bucket: string,
  url: string,
  key: string,
  contentType = "image/png",
): Promise<string> {
  const signingDate = signingInstantOf(url);
  const command = new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentType: contentType });
  return getSignedUrl(client, command, { expiresIn: 3600, signingDate });
}

describe("S3DownloadSigner: presigned GETs without the SDK's middleware stack", () => {
  it("makes exactly the SDK's URL for AWS's own endpoints (virtual-host style, temporary credentials)", async () => {
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "token/with+chars=" };
    const { client, runs } = countingClient({ region: "eu-west-1", credentials });
    const signer = new S3DownloadSigner(client, "imagehost-photos");
    await signer.sign("img/first", "image/png", 3600);
    expect(runs.count).toBe(1); // the SDK's probe
    for (const [key, contentType] of [
      ["img/AbC_-09", "image/png"],
      ["thumb/x", "image/svg+xml"],
      ["img/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "application/x.a!b#c$d&e^f"],
    ] as const) {
      const before = runs.count;
      const url = (await signer.sign(key, contentType, 3600)).url;
      expect(runs.count).toBe(before);
      expect(url.startsWith(`https://imagehost-photos.s3.eu-west-1.amazonaws.com/${key}?`)).toBe(true);
      expect(new URL(url).searchParams.get("X-Amz-Security-Token")).toBe(credentials.sessionToken);
      expect(url).toBe(await sdkUrlAtSameInstant(client, "imagehost-photos", url, key, contentType));
    }
  });

  it("reports a URL as working no longer than the credentials it is signed with", async () => {
    const expiration = new Date(Date.now() + 20 * 60_000);
    const temporary = countingClient({
      region: "eu-west-1",
      credentials: async () => ({ accessKeyId: "a", secretAccessKey: "b", sessionToken: "t", expiration }),
    }).client;
    const lasting = countingClient({ region: "eu-west-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    for (const [client, until] of [
      [temporary, () => expiration.getTime()],
      [lasting.client, () => Date.now() + 3600_000],
    ] as const) {
      const before = until();
      const { expiresAt } = await new S3DownloadSigner(client, "bucket").sign("img/abc", "image/png", 3600);
      expect(expiresAt).toBeGreaterThan(before - 1000);
      expect(expiresAt).toBeLessThanOrEqual(until());
    }
  });

  it("leaves a layout it cannot reproduce to the SDK, URL for URL", async () => {
    // The SDK's default checksum settings add a signed x-amz-checksum-mode, which this signer does not write.
    const { client, runs } = countingClient({
      region: "eu-west-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      responseChecksumValidation: "WHEN_SUPPORTED",
    });
    const signer = new S3DownloadSigner(client, "bucket");
    const url = (await signer.sign("img/abc", "image/png", 3600)).url;
    expect(new URL(url).searchParams.get("x-amz-checksum-mode")).toBe("ENABLED");
    await signer.sign("img/def", "image/png", 3600);
    // The probe, then one SDK run per URL.
    expect(runs.count).toBe(3);
  });

  describe("against a real S3 (RGW), path style", () => {
    let config: S3StorageConfig;
    let client: S3Client;
    let runs: { count: number };
    const key = `img/${randomBytes(12).toString("base64url")}`;
    const bytes = randomBytes(2048);

    beforeAll(async () => {
      config = await rgwBucket();
      ({ client, runs } = countingClient({
        region: config.region,
        endpoint: config.endpoint!,
        forcePathStyle: config.forcePathStyle,
        credentials: { ...config.credentials! },
      }));
      await client.send(
        new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: bytes, ContentType: "image/png" }),
      );
      runs.count = 0;
    });
    afterAll(() => client?.destroy());

    it("is served by the store, is the SDK's URL, and signs without the SDK after the first", async () => {
      const signer = new S3DownloadSigner(client, config.bucket);
      const urls = [(await signer.sign(key, "image/png", 3600)).url, (await signer.sign(key, "image/png", 3600)).url];
      expect(runs.count).toBe(1);
      for (const url of urls) {
        const response = await fetch(url);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("image/png");
        expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
        expect(url).toBe(await sdkUrlAtSameInstant(client, config.bucket, url, key));
      }
    });

    it("is refused by the store when its signature, key, type or lifetime is changed", async () => {
      const url = new URL((await new S3DownloadSigner(client, config.bucket).sign(key, "image/png", 3600)).url);
      const signature = url.searchParams.get("X-Amz-Signature")!;
      const changes: ((u: URL) => void)[] = [
        (u) => u.searchParams.set("X-Amz-Signature", (signature[0] === "0" ? "1" : "0") + signature.slice(1)),
        (u) => (u.pathname = u.pathname.replace(/.$/, (c) => (c === "a" ? "b" : "a"))),
        (u) => u.searchParams.set("response-content-type", "text/html"),
        (u) => u.searchParams.set("X-Amz-Expires", "604800"),
      ];
      for (const change of changes) {
        const tampered = new URL(url);
        change(tampered);
        expect((await fetch(tampered)).status, tampered.href).toBe(403);
      }
    });
  });
});
