import type { Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import type { S3StorageConfig } from "../config.js";
import { DependencyUnavailableError, badInput } from "../errors.js";
import { CONTENT_TYPE_PATTERN, KEY_PATTERN } from "./blob-key-patterns.js";
import { type S3UploadRelay, presignUploadTarget } from "./s3-upload-target.js";
import { S3DownloadSigner } from "./s3-download-signer.js";
import { StorageMisconfiguredError, isNotFound, isUnavailable, nameOf, statusOf } from "./s3-errors.js";
import {
  BlobChangedError,
  BlobNotFoundError,
  type BlobInfo,
  type BlobListing,
  type BlobStore,
  type UploadTarget,
  type UploadTargetRequest,
} from "../ports/blob-store.js";

/** How long a presigned GET from `downloadUrl` works, seconds. */
export const DOWNLOAD_URL_TTL_SECONDS = 3600;

/**
 * Blobs in an S3 bucket (AWS or S3-compatible: MinIO, R2, Garage, s3rver). Clients upload straight to the bucket
 * with a presigned PUT (content type, and length when declared, are signed) or a presigned POST whose policy pins
 * key, type and size. Timeouts and retries are short so an outage surfaces as a 503 within seconds.
 */
export class S3BlobStore implements BlobStore {
  readonly driver = "s3" as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly publicUrl: string | null;
  private readonly downloads: S3DownloadSigner;
  private readonly relay: S3UploadRelay | null;

  /**
   * `relay`: where PUTs of undeclared size go instead (this server's `/uploads/s3/<token>`, see
   * server/http/upload-relay.routes.ts). A presigned PUT without a signed length would take any body S3 allows
   * (5 GB), so without a relay such targets are refused.
   */
  constructor(config: S3StorageConfig, overrides: Partial<S3ClientConfig> = {}, relay: S3UploadRelay | null = null) {
    this.relay = relay === null ? null : { ...relay, publicUrl: relay.publicUrl.replace(/\/+$/, "") };
    this.bucket = config.bucket;
    this.publicUrl = config.publicUrl === null ? null : config.publicUrl.replace(/\/+$/, "");
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint !== null ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      ...(config.credentials !== null ? { credentials: { ...config.credentials } } : {}),
      // Otherwise the SDK adds checksums S3-compatible stores mishandle (chunk-encoded bodies, and an empty-body
      // checksum signed into presigned PUTs).
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      // One retry, 1.5 s to connect and 3 s to the response headers: an unreachable store fails within seconds
      // (a 503) instead of holding requests for the SDK's defaults (no timeout, 3 attempts).
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 1_500, requestTimeout: 3_000, throwOnRequestTimeout: true },
      ...overrides,
    });
    this.downloads = new S3DownloadSigner(this.client, this.bucket);
  }

  async createUploadTarget(request: UploadTargetRequest): Promise<UploadTarget> {
    this.assertKey(request.key);
    return this.guard(() => presignUploadTarget(this.client, this.bucket, this.relay, request));
  }

  /**
   * Writes what a relay URL received: exactly `length` bytes (the request's Content-Length, already checked
   * against the token's limit; Node's HTTP parser never hands over more), straight through to S3.
   */
  async writeRelayed(key: string, body: Readable, contentType: string, length: number): Promise<void> {
    this.assertKey(key);
    if (!CONTENT_TYPE_PATTERN.test(contentType)) throw badInput("Invalid content type.");
    await this.guard(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentLength: length,
        }),
      ),
    );
  }

  async stat(key: string): Promise<BlobInfo | null> {
    if (!isValidKey(key)) return null;
    try {
      const head = await this.guard(() => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return { size: head.ContentLength ?? 0, contentType: head.ContentType ?? null, version: head.ETag ?? "" };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async readHead(key: string, length: number): Promise<Buffer> {
    if (!isValidKey(key)) throw new BlobNotFoundError(key);
    const wanted = Math.max(0, Math.floor(length));
    let body: Readable;
    try {
      const response = await this.guard(() =>
        this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: key,
            // `bytes=0--1` is not a range; ask for one byte and drop it (still proves the object exists).
            Range: `bytes=0-${Math.max(0, wanted - 1)}`,
          }),
        ),
      );
      body = response.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key);
      // An empty object has no byte 0, so any range is unsatisfiable.
      if (statusOf(error) === 416 || nameOf(error) === "InvalidRange") return Buffer.alloc(0);
      throw error;
    }
    return this.guard(() => readAtMost(body, wanted));
  }

  async promote(from: string, to: string, version: string): Promise<void> {
    this.assertKey(from);
    this.assertKey(to);
    let copiedVersion: string | undefined;
    try {
      // Server-side copy with x-amz-copy-source-if-match. Some stores ignore that precondition (Ceph RGW 16 reads
      // only its own x-amz-copy-if-match), so it is not relied on: the copy's ETag is checked below.
      const copied = await this.guard(() =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: to,
            CopySource: `${this.bucket}/${from}`,
            CopySourceIfMatch: version,
            MetadataDirective: "COPY",
          }),
        ),
      );
      copiedVersion = copied.CopyObjectResult?.ETag;
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(from);
      if (statusOf(error) === 412 || nameOf(error) === "PreconditionFailed") throw new BlobChangedError(from);
      throw error;
    }
    // Single-part objects (all our uploads) keep their content MD5 as ETag through a copy, so the same ETag means
    // the same bytes. Only the server writes `to`, so what HEAD reports there is what the copy wrote.
    const landed = await this.stat(to);
    const same = (etag: string | undefined) => etag === undefined || unquoted(etag) === unquoted(version);
    if (landed === null || !same(landed.version) || !same(copiedVersion)) {
      await this.delete(to);
      throw new BlobChangedError(from);
    }
    await this.delete(from);
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    this.assertKey(key);
    if (!CONTENT_TYPE_PATTERN.test(contentType)) throw badInput("Invalid content type.");
    await this.guard(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ContentLength: bytes.length,
        }),
      ),
    );
  }

  async delete(key: string): Promise<void> {
    this.assertKey(key);
    try {
      await this.guard(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    } catch (error) {
      // S3 answers 204 for absent keys; some compatible stores answer 404.
      if (!isNotFound(error)) throw error;
    }
  }

  async downloadUrl(key: string, contentType: string): Promise<{ url: string; expiresAt: number | null }> {
    this.assertKey(key);
    if (this.publicUrl !== null) return { url: `${this.publicUrl}/${key}`, expiresAt: null };
    if (!CONTENT_TYPE_PATTERN.test(contentType)) throw badInput("Invalid content type.");
    return this.guard(() => this.downloads.sign(key, contentType, DOWNLOAD_URL_TTL_SECONDS));
  }

  async *list(prefix: string): AsyncIterable<BlobListing> {
    let continuationToken: string | undefined;
    do {
      const token = continuationToken;
      const page = await this.guard(() =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified?.getTime() ?? 0 };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async checkReady(): Promise<void> {
    try {
      await this.guard(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
    } catch (error) {
      if (error instanceof DependencyUnavailableError) throw error;
      const status = statusOf(error);
      if (status === 404 || nameOf(error) === "NotFound" || nameOf(error) === "NoSuchBucket")
        throw new StorageMisconfiguredError(`S3 bucket "${this.bucket}" does not exist (HeadBucket answered 404).`, {
          cause: error,
        });
      if (status === 403)
        throw new StorageMisconfiguredError(
          `S3 bucket "${this.bucket}" is not accessible with the configured credentials (HeadBucket answered 403).`,
          { cause: error },
        );
      if (status === 301 || status === 400)
        throw new StorageMisconfiguredError(
          `S3 bucket "${this.bucket}" is not accessible at the configured endpoint or region ` +
            `(HeadBucket answered ${status}); check S3_REGION and S3_ENDPOINT.`,
          { cause: error },
        );
      throw error;
    }
  }

  /** Releases the client's sockets; call on shutdown. */
  close(): void {
    this.client.destroy();
  }

  /** A key outside the pattern names nothing: reads find nothing, writes are refused. */
  private assertKey(key: string): void {
    if (!isValidKey(key)) throw badInput("Invalid storage key.");
  }

  /** Runs an S3 call, turning "cannot reach the store" into DependencyUnavailableError; other errors pass. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (isUnavailable(error)) throw new DependencyUnavailableError("storage", { cause: error });
      throw error;
    }
  }
}

/** RGW answers a copy's ETag without the quotes HEAD puts around it. */
function unquoted(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

function isValidKey(key: string): boolean {
  return typeof key === "string" && KEY_PATTERN.test(key);
}

async function readAtMost(body: Readable, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    // Stop early even if the store ignored the Range header and sent the whole object.
    for await (const chunk of body) {
      const bytes = chunk as Buffer;
      chunks.push(bytes);
      total += bytes.length;
      if (total >= length) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks, total).subarray(0, length);
}
