/**
 * The blob-store port: where image bytes live. Keys are built only by the server from server-made ids (SEC-12);
 * adapters may still reject a key they cannot store safely. Adapters throw `DependencyUnavailableError("storage")`
 * when the store cannot be reached and never log-and-swallow.
 */
export interface BlobStore {
  /** Which adapter this is, for logs and readiness reports. */
  readonly driver: "local" | "s3";

  /**
   * How a client sends the bytes for `key` straight to storage. The target accepts at most `maxBytes` bytes of
   * type `contentType` until `expiresAt`.
   */
  createUploadTarget(request: UploadTargetRequest): Promise<UploadTarget>;

  /** Size and stored type of the object, or null when there is none. */
  stat(key: string): Promise<BlobInfo | null>;

  /** Up to `length` bytes from the start of the object (fewer when it is shorter). Throws when absent. */
  readHead(key: string, length: number): Promise<Buffer>;

  /**
   * Moves a checked upload from `from` to `to` (its final key), provided it is still the `version` that was
   * checked: a client that rewrites its upload after the check makes this throw BAD_USER_INPUT instead of
   * swapping the bytes behind a verified record. `from` is gone afterwards, and the object at `to` is durable
   * once this resolves (completion records it next). Throws NOT_FOUND when `from` is absent.
   */
  promote(from: string, to: string, version: string): Promise<void>;

  /**
   * Stores `bytes` (server-made, e.g. a derivative) at `key` with `contentType`, replacing what is there. Readers
   * see the old object or the new one, never a part. For uploads from clients use `createUploadTarget`.
   */
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;

  /** Removes the object. Removing an absent object is not an error. */
  delete(key: string): Promise<void>;

  /**
   * Where `GET /image/<id>` redirects for `key`. `expiresAt` (ms since epoch) says until when the URL works;
   * null = it does not expire (public base URL), so callers may cache it for as long as they like.
   */
  downloadUrl(key: string, contentType: string): Promise<{ url: string; expiresAt: number | null }>;

  /** Every stored object under `prefix`, for the sweeper. */
  list(prefix: string): AsyncIterable<BlobListing>;

  /** Resolves when the store is usable (bucket exists, directory writable); throws DependencyUnavailableError. */
  checkReady(): Promise<void>;
}

export interface UploadTargetRequest {
  key: string;
  contentType: string;
  /** Bytes. */
  maxBytes: number;
  /** The exact size the client declared, bytes; null when unknown. */
  exactBytes: number | null;
  /** Milliseconds since epoch. */
  expiresAt: number;
  /** "PUT" (a presigned PUT or the signed local URL) or "POST" (a multipart form, S3 only). */
  method: "PUT" | "POST";
}

export interface UploadTarget {
  method: "PUT" | "POST";
  /** Absolute URL. */
  url: string;
  /** Headers the client must send with a PUT. */
  headers: HttpField[];
  /** Form fields a POST must carry before the file field. */
  fields: HttpField[];
}

export interface HttpField {
  name: string;
  value: string;
}

export interface BlobInfo {
  /** Bytes. */
  size: number;
  contentType: string | null;
  /** Changes whenever the bytes do (S3: the ETag; local: drawn at random for each write). */
  version: string;
}

export interface BlobListing {
  key: string;
  /** Bytes. */
  size: number;
  /** Milliseconds since epoch. */
  lastModified: number;
}

/**
 * No object at `key` (never stored, deleted, or already moved by `promote`). Thrown by `readHead` and `promote`;
 * not client-facing: the service decides what it means for the caller.
 */
export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no stored object at ${key}`);
    this.name = "BlobNotFoundError";
  }
}

/** `promote`'s precondition failed: the object at `key` is no longer the version that was checked. */
export class BlobChangedError extends Error {
  constructor(readonly key: string) {
    super(`the object at ${key} changed since it was checked`);
    this.name = "BlobChangedError";
  }
}
