import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Stats } from "node:fs";
import fs, { type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { AppError, DependencyUnavailableError, badInput, conflict, payloadTooLarge } from "../errors.js";
import {
  BlobChangedError,
  BlobNotFoundError,
  type BlobInfo,
  type BlobListing,
  type BlobStore,
  type UploadTarget,
  type UploadTargetRequest,
} from "../ports/blob-store.js";

export interface LocalBlobStoreOptions {
  /** Absolute directory holding the blobs. */
  root: string;
  /** Base URL of this server, without a trailing slash, e.g. `http://127.0.0.1:3000`. */
  publicUrl: string;
  /** HMAC key for upload URLs. */
  signingSecret: Buffer;
}

/** What a signed upload URL allows. */
export interface UploadClaims {
  key: string;
  contentType: string;
  /** Bytes. */
  maxBytes: number;
  /** Bytes; null when the client did not declare a size. */
  exactBytes: number | null;
  /** Milliseconds since epoch. */
  expiresAt: number;
}

/** A blob opened for serving: metadata read from the open file, so it matches the bytes streamed. */
export interface OpenedBlob {
  /** Bytes. */
  size: number;
  contentType: string;
  /** Strong validator, quotes included. */
  etag: string;
  /** Streams bytes `start..end` (inclusive) or the whole blob, and closes the file when done. */
  stream(range?: { start: number; end: number }): Readable;
  /** Closes the file when no stream will be taken (HEAD, 304, 416). */
  close(): Promise<void>;
}

// Server-made keys only (SEC-12): a lowercase prefix and a base64url id. Anything else names nothing.
const KEY_PATTERN = /^([a-z]{1,32})\/([A-Za-z0-9_-]{1,128})$/;
const PREFIX_DIR_PATTERN = /^[a-z]{1,32}$/;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
// A media type without parameters: it is echoed into a header, so no spaces, quotes or line breaks.
const CONTENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{43}$/;
const TOKEN_VERSION = "u1";
// Binds the HMAC to this one use, should the secret ever be reused for something else.
const TOKEN_CONTEXT = "imagehost/local-upload\n";
const SIDECAR_SUFFIX = ".meta.json";
// Errors that mean the disk, not the request, is the problem.
const STORAGE_FAULTS = new Set(["ENOSPC", "EDQUOT", "EROFS", "EIO", "EMFILE", "ENFILE"]);

/**
 * Blobs on local disk under `root`, laid out as `<root>/<prefix>/<id>` with a `<id>.meta.json` sidecar holding the
 * content type and a SHA-256 of the bytes. Clients upload through a URL on this server signed with HMAC
 * (`/uploads/<token>`), and the bytes are served from `/files/<key>` (see server/http/local-blob.routes.ts).
 *
 * Ids never contain a dot, so any name with a dot in it (sidecars, `.tmp` files, probes) is not a blob.
 * A key outside the key pattern names nothing: reads find nothing, writes are refused.
 */
export class LocalBlobStore implements BlobStore {
  readonly driver = "local" as const;
  private readonly root: string;
  private readonly publicUrl: string;
  private readonly secret: Buffer;

  constructor(options: LocalBlobStoreOptions) {
    if (!path.isAbsolute(options.root)) throw new Error(`LocalBlobStore: root must be absolute, got ${options.root}`);
    if (options.signingSecret.length < 32) throw new Error("LocalBlobStore: signingSecret must be at least 32 bytes");
    this.root = path.resolve(options.root);
    this.publicUrl = options.publicUrl.replace(/\/+$/, "");
    this.secret = options.signingSecret;
  }

  /** Local storage only takes PUTs; a POST request still gets a PUT target, and `method` tells the client so. */
  async createUploadTarget(request: UploadTargetRequest): Promise<UploadTarget> {
    const claims: UploadClaims = {
      key: request.key,
      contentType: request.contentType,
      maxBytes: request.maxBytes,
      exactBytes: request.exactBytes,
      expiresAt: request.expiresAt,
    };
    const problem = claimsProblem(claims);
    if (problem !== null) throw badInput(`Cannot create an upload target: ${problem}.`);
    if (claims.expiresAt <= Date.now()) throw badInput("Cannot create an upload target that has already expired.");
    return {
      method: "PUT",
      url: `${this.publicUrl}/uploads/${this.signUploadToken(claims)}`,
      headers: [{ name: "Content-Type", value: claims.contentType }],
      fields: [],
    };
  }

  /** The claims of a token made by `createUploadTarget`; throws BAD_USER_INPUT when forged, damaged or expired. */
  verifyUploadToken(token: string, now: number = Date.now()): UploadClaims {
    const invalid = () => badInput("This upload URL is not valid; request a new upload.");
    if (!TOKEN_PATTERN.test(token)) throw invalid();
    const [payload = "", mac = ""] = token.split(".");
    const expected = this.mac(payload);
    const given = Buffer.from(mac, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();

    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      throw invalid();
    }
    if (!Array.isArray(decoded) || decoded.length !== 6 || decoded[0] !== TOKEN_VERSION) throw invalid();
    const [, key, contentType, maxBytes, exactBytes, expiresAt] = decoded as unknown[];
    const claims = { key, contentType, maxBytes, exactBytes, expiresAt } as UploadClaims;
    if (claimsProblem(claims) !== null) throw invalid();
    if (now > claims.expiresAt) throw badInput("This upload URL has expired; request a new upload.");
    return claims;
  }

  /**
   * Streams `body` into place for `key`: temp file in the same directory, size limit enforced while reading,
   * fsync, then a hard link that refuses to replace an existing blob (a verified image cannot be swapped by
   * re-sending to the same URL). The sidecar lands after the blob, so a crash in between leaves a blob that
   * `stat` reports with a null type and that is not served.
   *
   * On a limit breach the stream is left unconsumed (not destroyed) so the caller can still answer on it.
   */
  async writeStream(
    key: string,
    body: Readable,
    limits: { contentType: string; maxBytes: number; exactBytes: number | null },
  ): Promise<{ size: number }> {
    const location = this.locate(key);
    if (location === null) throw badInput("Invalid storage key.");
    if (!CONTENT_TYPE_PATTERN.test(limits.contentType)) throw badInput("Invalid content type.");
    const { dir, blobPath, metaPath, id } = location;

    return this.guardDisk(async () => {
      await fs.mkdir(dir, { recursive: true });
      if (await exists(blobPath)) throw alreadyUploaded();

      const suffix = randomBytes(8).toString("hex");
      const tmpBlob = path.join(dir, `.${id}.${suffix}.tmp`);
      const tmpMeta = path.join(dir, `.${id}.${suffix}.meta.tmp`);
      let handle: FileHandle | null = await fs.open(tmpBlob, "wx", 0o600);
      try {
        const hash = createHash("sha256");
        let size = 0;
        for await (const chunk of body.iterator({ destroyOnReturn: false })) {
          const bytes: Buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
          size += bytes.length;
          if (size > limits.maxBytes) throw payloadTooLarge(`The upload exceeds ${limits.maxBytes} bytes.`);
          hash.update(bytes);
          await writeAll(handle, bytes);
        }
        if (size === 0) throw badInput("The upload is empty.");
        if (limits.exactBytes !== null && size !== limits.exactBytes)
          throw badInput(`The upload was declared as ${limits.exactBytes} bytes but ${size} arrived.`);
        await handle.sync();
        await handle.close();
        handle = null;

        const meta: Sidecar = { v: 1, contentType: limits.contentType, size, sha256: hash.digest("base64url") };
        await writeFileDurably(tmpMeta, JSON.stringify(meta));
        await linkWithoutReplacing(tmpBlob, blobPath);
        await fs.rename(tmpMeta, metaPath);
        await fsyncDir(dir);
        return { size };
      } finally {
        await handle?.close().catch(() => undefined);
        await fs.rm(tmpBlob, { force: true });
        await fs.rm(tmpMeta, { force: true });
      }
    });
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const location = this.locate(key);
    if (location === null) throw badInput("Invalid storage key.");
    if (!CONTENT_TYPE_PATTERN.test(contentType)) throw badInput("Invalid content type.");
    const { dir, blobPath, metaPath, id } = location;
    await this.guardDisk(async () => {
      await fs.mkdir(dir, { recursive: true });
      const suffix = randomBytes(8).toString("hex");
      const tmpBlob = path.join(dir, `.${id}.${suffix}.tmp`);
      const tmpMeta = path.join(dir, `.${id}.${suffix}.meta.tmp`);
      try {
        const handle = await fs.open(tmpBlob, "wx", 0o600);
        try {
          await writeAll(handle, bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        const sha256 = createHash("sha256").update(bytes).digest("base64url");
        const meta: Sidecar = { v: 1, contentType, size: bytes.length, sha256 };
        await writeFileDurably(tmpMeta, JSON.stringify(meta));
        // Between the two renames the sidecar does not match the blob, and openRead serves nothing.
        await fs.rename(tmpBlob, blobPath);
        await fs.rename(tmpMeta, metaPath);
        await fsyncDir(dir);
      } finally {
        await fs.rm(tmpBlob, { force: true });
        await fs.rm(tmpMeta, { force: true });
      }
    });
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const location = this.locate(key);
    if (location === null) return null;
    return this.guardDisk(async () => {
      const stats = await statOrNull(location.blobPath);
      if (stats === null || !stats.isFile()) return null;
      const meta = await readSidecar(location.metaPath, stats.size);
      return { size: stats.size, contentType: meta?.contentType ?? null, version: meta?.sha256 ?? "" };
    });
  }

  async readHead(key: string, length: number): Promise<Buffer> {
    const location = this.locate(key);
    if (location === null) throw new BlobNotFoundError(key);
    return this.guardDisk(async () => {
      let handle: FileHandle;
      try {
        handle = await fs.open(location.blobPath, "r");
      } catch (error) {
        if (errnoOf(error) === "ENOENT") throw new BlobNotFoundError(key);
        throw error;
      }
      try {
        const buffer = Buffer.alloc(Math.max(0, length));
        let filled = 0;
        while (filled < buffer.length) {
          const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      } finally {
        await handle.close();
      }
    });
  }

  async promote(from: string, to: string, version: string): Promise<void> {
    const source = this.locate(from);
    const target = this.locate(to);
    if (source === null || target === null) throw badInput("Invalid storage key.");
    await this.guardDisk(async () => {
      const stats = await statOrNull(source.blobPath);
      if (stats === null || !stats.isFile()) throw new BlobNotFoundError(from);
      const meta = await readSidecar(source.metaPath, stats.size);
      if (meta === null || meta.sha256 !== version) throw new BlobChangedError(from);
      await fs.mkdir(target.dir, { recursive: true });
      // Sidecar, then blob, then the old sidecar: at every step a blob that can be seen has its type beside it,
      // and a crash leaves at most a sidecar naming no blob (which nothing reads). A concurrent promote of the
      // same upload may move it first: then the source is simply gone.
      try {
        await fs.copyFile(source.metaPath, target.metaPath);
        await fs.rename(source.blobPath, target.blobPath);
      } catch (error) {
        if (errnoOf(error) === "ENOENT") throw new BlobNotFoundError(from);
        throw error;
      }
      await fs.rm(source.metaPath, { force: true });
    });
  }

  async delete(key: string): Promise<void> {
    const location = this.locate(key);
    if (location === null) throw badInput("Invalid storage key.");
    await this.guardDisk(async () => {
      // Blob first: a crash in between leaves only a sidecar, which names no blob.
      await fs.rm(location.blobPath, { force: true });
      await fs.rm(location.metaPath, { force: true });
    });
  }

  async downloadUrl(key: string, _contentType: string): Promise<{ url: string; expiresAt: number | null }> {
    if (this.locate(key) === null) throw badInput("Invalid storage key.");
    return { url: `${this.publicUrl}/files/${key}`, expiresAt: null };
  }

  async *list(prefix: string): AsyncIterable<BlobListing> {
    const dirs = await readDirOrEmpty(this.root);
    for (const dirName of dirs.sort()) {
      // Keys here start with `<dirName>/`; skip the directory unless that and `prefix` agree as far as both go.
      if (!PREFIX_DIR_PATTERN.test(dirName) || !`${dirName}/`.startsWith(prefix.slice(0, dirName.length + 1))) continue;
      const files = await readDirOrEmpty(path.join(this.root, dirName));
      for (const fileName of files.sort()) {
        const key = `${dirName}/${fileName}`;
        if (!ID_PATTERN.test(fileName) || !key.startsWith(prefix)) continue;
        const stats = await statOrNull(path.join(this.root, dirName, fileName));
        if (stats === null || !stats.isFile()) continue; // deleted meanwhile
        yield { key, size: stats.size, lastModified: stats.mtimeMs };
      }
    }
  }

  async checkReady(): Promise<void> {
    try {
      await fs.mkdir(this.root, { recursive: true });
      const probe = path.join(this.root, `.probe-${randomBytes(6).toString("hex")}.tmp`);
      await fs.writeFile(probe, "ok", { flag: "wx" });
      await fs.rm(probe);
    } catch (error) {
      throw new DependencyUnavailableError("storage", { cause: error });
    }
  }

  /**
   * Opens `key` for serving, or null when it is not a valid key, absent, or not fully written (no sidecar).
   * The caller must either take `stream()` or call `close()`.
   */
  async openRead(key: string): Promise<OpenedBlob | null> {
    const location = this.locate(key);
    if (location === null) return null;
    return this.guardDisk(async () => {
      let handle: FileHandle;
      try {
        handle = await fs.open(location.blobPath, "r");
      } catch (error) {
        if (errnoOf(error) === "ENOENT" || errnoOf(error) === "EISDIR") return null;
        throw error;
      }
      try {
        const stats = await handle.stat();
        const meta = stats.isFile() ? await readSidecar(location.metaPath, stats.size) : null;
        if (meta === null) {
          await handle.close();
          return null;
        }
        const opened = handle;
        return {
          size: stats.size,
          contentType: meta.contentType,
          etag: `"${meta.sha256}"`,
          stream: (range) => opened.createReadStream(range ? { start: range.start, end: range.end } : {}),
          close: () => opened.close(),
        };
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * Removes temp files and orphan sidecars older than `olderThanMs` (ms) that a crash left behind; the sweeper
   * may call it. Returns how many files it removed.
   */
  async removeStaleTempFiles(olderThanMs: number, now: number = Date.now()): Promise<number> {
    let removed = 0;
    for (const dirName of await readDirOrEmpty(this.root)) {
      const dir = path.join(this.root, dirName);
      const isPrefixDir = PREFIX_DIR_PATTERN.test(dirName);
      const names = isPrefixDir ? await readDirOrEmpty(dir) : [dirName];
      const base = isPrefixDir ? dir : this.root;
      for (const name of names) {
        const isTemp = name.startsWith(".") && name.endsWith(".tmp");
        const orphanSidecar =
          isPrefixDir &&
          name.endsWith(SIDECAR_SUFFIX) &&
          !(await exists(path.join(dir, name.slice(0, -SIDECAR_SUFFIX.length))));
        if (!isTemp && !orphanSidecar) continue;
        const stats = await statOrNull(path.join(base, name));
        if (stats === null || !stats.isFile() || now - stats.mtimeMs < olderThanMs) continue;
        await fs.rm(path.join(base, name), { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  private signUploadToken(claims: UploadClaims): string {
    const body = [TOKEN_VERSION, claims.key, claims.contentType, claims.maxBytes, claims.exactBytes, claims.expiresAt];
    const payload = Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
    return `${payload}.${this.mac(payload).toString("base64url")}`;
  }

  private mac(payload: string): Buffer {
    return createHmac("sha256", this.secret).update(TOKEN_CONTEXT).update(payload).digest();
  }

  /** Paths for `key`, or null when the key is not one the server could have made (SEC-12). */
  private locate(key: string): { dir: string; blobPath: string; metaPath: string; id: string } | null {
    const match = typeof key === "string" ? KEY_PATTERN.exec(key) : null;
    if (match === null) return null;
    const [, prefix = "", id = ""] = match;
    const dir = path.join(this.root, prefix);
    const blobPath = path.join(dir, id);
    // The pattern already excludes separators and dots; this is the belt to those braces.
    if (path.dirname(path.dirname(blobPath)) !== this.root) return null;
    return { dir, blobPath, metaPath: `${blobPath}${SIDECAR_SUFFIX}`, id };
  }

  /** Disk-level faults become DependencyUnavailableError; the caller's own AppErrors pass through. */
  private async guardDisk<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof AppError) && STORAGE_FAULTS.has(errnoOf(error) ?? ""))
        throw new DependencyUnavailableError("storage", { cause: error });
      throw error;
    }
  }
}

interface Sidecar {
  v: 1;
  contentType: string;
  /** Bytes. */
  size: number;
  /** base64url SHA-256 of the bytes; the ETag. */
  sha256: string;
}

/** Why `claims` are not acceptable, or null when they are. */
function claimsProblem(claims: UploadClaims): string | null {
  if (typeof claims.key !== "string" || !KEY_PATTERN.test(claims.key)) return "invalid storage key";
  if (typeof claims.contentType !== "string" || !CONTENT_TYPE_PATTERN.test(claims.contentType))
    return "invalid content type";
  if (!Number.isSafeInteger(claims.maxBytes) || claims.maxBytes < 1) return "maxBytes must be a positive integer";
  if (
    claims.exactBytes !== null &&
    (!Number.isSafeInteger(claims.exactBytes) || claims.exactBytes < 1 || claims.exactBytes > claims.maxBytes)
  )
    return "exactBytes must be null or between 1 and maxBytes";
  if (!Number.isSafeInteger(claims.expiresAt)) return "expiresAt must be milliseconds since epoch";
  return null;
}

async function readSidecar(metaPath: string, blobSize: number): Promise<Sidecar | null> {
  let text: string;
  try {
    text = await fs.readFile(metaPath, "utf8");
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return null;
    throw error;
  }
  try {
    const meta = JSON.parse(text) as Partial<Sidecar>;
    const valid =
      meta.v === 1 &&
      typeof meta.contentType === "string" &&
      CONTENT_TYPE_PATTERN.test(meta.contentType) &&
      meta.size === blobSize &&
      typeof meta.sha256 === "string" &&
      /^[A-Za-z0-9_-]{43}$/.test(meta.sha256);
    return valid ? (meta as Sidecar) : null;
  } catch {
    return null;
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

async function writeFileDurably(filePath: string, text: string): Promise<void> {
  const handle = await fs.open(filePath, "wx", 0o600);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Publishes `from` as `to` unless `to` exists. Filesystems without hard links fall back to check-then-rename. */
async function linkWithoutReplacing(from: string, to: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch (error) {
    const code = errnoOf(error);
    if (code === "EEXIST") throw alreadyUploaded();
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    if (await exists(to)) throw alreadyUploaded();
    await fs.rename(from, to);
  }
}

/** Makes the rename itself durable; some platforms cannot open a directory, which is not worth failing for. */
async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function exists(filePath: string): Promise<boolean> {
  return (await statOrNull(filePath)) !== null;
}

async function statOrNull(filePath: string): Promise<Stats | null> {
  try {
    return await fs.stat(filePath);
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return null;
    throw error;
  }
}

async function readDirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return [];
    throw error;
  }
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const alreadyUploaded = () => conflict("This upload has already been received; complete it or request a new upload.");
