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
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { S3StorageConfig } from "../config.js";
import type { RelayTokens } from "./upload-relay-token.js";
import { DependencyUnavailableError, badInput } from "../errors.js";
import {
  BlobChangedError,
  BlobNotFoundError,
  type BlobInfo,
  type BlobListing,
  type BlobStore,
  type HttpField,
  type UploadTarget,
  type UploadTargetRequest,
} from "../ports/blob-store.js";

/** The relay for PUTs of undeclared size: this server's base URL and the token signer. */
export interface S3UploadRelay {
  publicUrl: string;
  tokens: RelayTokens;
}

/** How long a presigned GET from `downloadUrl` works, seconds. */
export const DOWNLOAD_URL_TTL_SECONDS = 3600;
// SigV4 presigned URLs cannot live longer than a week.
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
// Server-made keys only (SEC-12). S3 could store anything, but a key like `../x` joined to a public base URL would
// point outside it.
const KEY_PATTERN = /^[a-z]{1,32}\/[A-Za-z0-9_-]{1,128}$/;
// Signed into URLs and policies and echoed in a header: a bare media type.
const CONTENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
]);
const NETWORK_ERROR_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException", "NetworkingError"]);

/** The bucket is missing or refuses us: a configuration problem an operator must fix, not an outage. */
export class StorageMisconfiguredError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StorageMisconfiguredError";
  }
}

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
  }

  async createUploadTarget(request: UploadTargetRequest): Promise<UploadTarget> {
    this.assertKey(request.key);
    if (!CONTENT_TYPE_PATTERN.test(request.contentType)) throw badInput("Invalid content type.");
    if (!Number.isSafeInteger(request.maxBytes) || request.maxBytes < 1)
      throw badInput("maxBytes must be a positive integer.");
    const exact = request.exactBytes;
    if (exact !== null && (!Number.isSafeInteger(exact) || exact < 1 || exact > request.maxBytes))
      throw badInput("exactBytes must be null or between 1 and maxBytes.");
    const expiresIn = Math.min(MAX_PRESIGN_SECONDS, Math.floor((request.expiresAt - Date.now()) / 1000));
    if (expiresIn < 1) throw badInput("Cannot create an upload target that has already expired.");

    return this.guard(async () => {
      if (request.method === "POST") {
        const post = await createPresignedPost(this.client, {
          Bucket: this.bucket,
          Key: request.key,
          // Fields become exact-match conditions too, so the policy also pins Content-Type, key and bucket.
          Conditions: [["content-length-range", exact ?? 1, exact ?? request.maxBytes]],
          Fields: { "Content-Type": request.contentType },
          Expires: expiresIn,
        });
        return {
          method: "POST",
          url: post.url,
          headers: [],
          fields: Object.entries(post.fields).map(([name, value]) => ({ name, value })),
        };
      }

      if (exact === null) return this.relayTarget(request);
      const command = new PutObjectCommand({
        Bucket: this.bucket,
        Key: request.key,
        ContentType: request.contentType,
        ...(exact !== null ? { ContentLength: exact } : {}),
      });
      // The presigner leaves content-type unsigned unless named here; S3 then rejects any other type or length.
      const signableHeaders = new Set(exact !== null ? ["content-type", "content-length"] : ["content-type"]);
      const url = await getSignedUrl(this.client, command, { expiresIn, signableHeaders });
      const headers: HttpField[] = [{ name: "Content-Type", value: request.contentType }];
      if (exact !== null) headers.push({ name: "Content-Length", value: String(exact) });
      return { method: "PUT", url, headers, fields: [] };
    });
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

  /** The relay's token checker, for its route; null when no relay is configured. */
  get relayTokens(): RelayTokens | null {
    return this.relay?.tokens ?? null;
  }

  private relayTarget(request: UploadTargetRequest): UploadTarget {
    if (this.relay === null) throw badInput("Declare the upload's size: this store signs only exact-length PUTs.");
    const token = this.relay.tokens.sign({
      key: request.key,
      contentType: request.contentType,
      maxBytes: request.maxBytes,
      expiresAt: request.expiresAt,
    });
    return {
      method: "PUT",
      url: `${this.relay.publicUrl}/uploads/s3/${token}`,
      headers: [{ name: "Content-Type", value: request.contentType }],
      fields: [],
    };
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
    // Taken before signing, so the URL works at least until the reported time.
    const expiresAt = Date.now() + DOWNLOAD_URL_TTL_SECONDS * 1000;
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: contentType });
    const url = await this.guard(() => getSignedUrl(this.client, command, { expiresIn: DOWNLOAD_URL_TTL_SECONDS }));
    return { url, expiresAt };
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

/** The headers a presigned URL signs (`X-Amz-SignedHeaders`), lowercase; what S3 will insist on. */
export function signedHeadersOf(presignedUrl: string): string[] {
  const value = new URL(presignedUrl).searchParams.get("X-Amz-SignedHeaders");
  return value === null ? [] : value.split(";").filter(Boolean);
}

/** The policy document a presigned POST carries in its `Policy` field (base64 JSON). */
export function decodePostPolicy(fields: readonly HttpField[]): { expiration: string; conditions: unknown[] } {
  const policy = fields.find((field) => field.name === "Policy");
  if (policy === undefined) throw new Error("The POST fields carry no Policy.");
  return JSON.parse(Buffer.from(policy.value, "base64").toString("utf8")) as {
    expiration: string;
    conditions: unknown[];
  };
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

function isNotFound(error: unknown): boolean {
  const name = nameOf(error);
  return statusOf(error) === 404 || name === "NotFound" || name === "NoSuchKey";
}

function isUnavailable(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined && status >= 500) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return true;
  const name = nameOf(error);
  return name !== undefined && NETWORK_ERROR_NAMES.has(name);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

function nameOf(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : undefined;
}
