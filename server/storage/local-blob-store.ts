import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import fs, { type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { DependencyUnavailableError, badInput } from "../errors.js";
import {
  BlobChangedError,
  BlobNotFoundError,
  type BlobInfo,
  type BlobListing,
  type BlobStore,
  type UploadTarget,
  type UploadTargetRequest,
} from "../ports/blob-store.js";
import { copyFileDurably, errnoOf, fsyncDir, readDirOrEmpty } from "./durable-file.js";
import { CONTENT_TYPE_PATTERN, ID_PATTERN, PREFIX_DIR_PATTERN } from "./blob-key-patterns.js";
import { type BlobLocation, guardDisk, locateBlob } from "./local-blob-location.js";
import { type OpenedBlob, bytesOffset, describeBlob, openBlob, openBlobFile } from "./local-blob-format.js";
import { LocalBlobWriter, type StreamLimits } from "./local-blob-writer.js";
import { LocalUploadTokens, type UploadClaims, claimsProblem } from "./local-upload-token.js";

export interface LocalBlobStoreOptions {
  /** Absolute directory holding the blobs. */
  root: string;
  /** Base URL of this server, without a trailing slash, e.g. `http://127.0.0.1:3000`. */
  publicUrl: string;
  /** HMAC key for upload URLs. */
  signingSecret: Buffer;
}

/**
 * Blobs on local disk under `root`, laid out as `<root>/<prefix>/<id>`, each file starting with a header that holds
 * the content type and a version (see local-blob-format.ts). Clients upload through a URL on this server signed
 * with HMAC (`/uploads/<token>`), and the bytes are served from `/files/<key>` (see server/http/local-blob.routes.ts).
 *
 * Ids never contain a dot, so any name with a dot in it (sidecars, `.tmp` files, probes) is not a blob.
 * A key outside the key pattern names nothing: reads find nothing, writes are refused.
 */
export class LocalBlobStore implements BlobStore {
  readonly driver = "local" as const;
  private readonly root: string;
  private readonly publicUrl: string;
  private readonly tokens: LocalUploadTokens;
  private readonly writer = new LocalBlobWriter();

  constructor(options: LocalBlobStoreOptions) {
    if (!path.isAbsolute(options.root)) throw new Error(`LocalBlobStore: root must be absolute, got ${options.root}`);
    this.tokens = new LocalUploadTokens(options.signingSecret);
    this.root = path.resolve(options.root);
    this.publicUrl = options.publicUrl.replace(/\/+$/, "");
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
      url: `${this.publicUrl}/uploads/${this.tokens.sign(claims)}`,
      headers: [{ name: "Content-Type", value: claims.contentType }],
      fields: [],
    };
  }

  /** The claims of a token made by `createUploadTarget`; throws BAD_USER_INPUT when forged, damaged or expired. */
  verifyUploadToken(token: string, now: number = Date.now()): UploadClaims {
    return this.tokens.verify(token, now);
  }

  /**
   * Streams `body` into place for `key`: temp file in the same directory (header and bytes, local-blob-format.ts),
   * size limit enforced while reading, fsync, then a hard link that refuses to replace an existing blob (a verified
   * image cannot be swapped by re-sending to the same URL), then an fsync of the directory: a blob that can be seen
   * is whole, also after a power cut.
   *
   * On a limit breach the stream is left unconsumed (not destroyed) so the caller can still answer on it.
   */
  async writeStream(key: string, body: Readable, limits: StreamLimits): Promise<{ size: number }> {
    const location = this.locate(key);
    if (location === null) throw badInput("Invalid storage key.");
    if (!CONTENT_TYPE_PATTERN.test(limits.contentType)) throw badInput("Invalid content type.");
    return guardDisk(() => this.writer.writeStream(location, body, limits));
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const location = this.locate(key);
    if (location === null) throw badInput("Invalid storage key.");
    if (!CONTENT_TYPE_PATTERN.test(contentType)) throw badInput("Invalid content type.");
    await guardDisk(() => this.writer.put(location, bytes, contentType));
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const location = this.locate(key);
    if (location === null) return null;
    return guardDisk(async () => {
      const info = await withBlobFile(location.blobPath, async (handle, stats): Promise<BlobInfo> => {
        const blob = await describeBlob(handle, stats.size, location.metaPath);
        if (blob !== null) return { size: blob.size, contentType: blob.contentType, version: blob.version };
        // Its type and version never landed (a sidecar-format blob without its sidecar): not served or promoted.
        return { size: stats.size, contentType: null, version: "" };
      });
      return info ?? null;
    });
  }

  async readHead(key: string, length: number): Promise<Buffer> {
    const location = this.locate(key);
    if (location === null) throw new BlobNotFoundError(key);
    return guardDisk(async () => {
      const bytes = await withBlobFile(location.blobPath, async (handle, stats) => {
        const offset = await bytesOffset(handle, stats.size);
        if (offset === null) throw new BlobNotFoundError(key);
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, stats.size - offset)));
        let filled = 0;
        while (filled < buffer.length) {
          const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      });
      if (bytes === undefined) throw new BlobNotFoundError(key);
      return bytes;
    });
  }

  async promote(from: string, to: string, version: string): Promise<void> {
    const source = this.locate(from);
    const target = this.locate(to);
    if (source === null || target === null) throw badInput("Invalid storage key.");
    await guardDisk(async () => {
      const blob = await withBlobFile(source.blobPath, (handle, stats) =>
        describeBlob(handle, stats.size, source.metaPath),
      );
      if (blob === undefined) throw new BlobNotFoundError(from);
      if (blob === null || blob.version !== version) throw new BlobChangedError(from);
      await fs.mkdir(target.dir, { recursive: true });
      // A framed blob carries its type: one rename. The sidecar format moves sidecar, then blob, then the old
      // sidecar: at every step a blob that can be seen has its type beside it, and a crash leaves at most a sidecar
      // naming no blob (which nothing reads). A concurrent promote of the same upload may move it first: then the
      // source is simply gone.
      try {
        if (blob.sidecar) await copyFileDurably(source.metaPath, target.metaPath);
        await fs.rename(source.blobPath, target.blobPath);
      } catch (error) {
        if (errnoOf(error) === "ENOENT") throw new BlobNotFoundError(from);
        throw error;
      }
      // Completion records the image in Redis next, so the new name must be durable first: left to the
      // filesystem's own commit (ext4: up to 5 s, longer than Redis' AOF second), a power cut could leave a
      // recorded image whose bytes sit under the upload's name.
      await fsyncDir(target.dir);
      if (blob.sidecar) await fs.rm(source.metaPath, { force: true });
    });
  }

  async delete(key: string): Promise<void> {
    const location = this.locate(key);
    if (location === null) throw badInput("Invalid storage key.");
    await guardDisk(async () => {
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
        const listing = await withBlobFile(path.join(this.root, dirName, fileName), async (handle, stats) => {
          const offset = (await bytesOffset(handle, stats.size)) ?? 0;
          return { key, size: stats.size - offset, lastModified: stats.mtimeMs };
        });
        if (listing !== undefined) yield listing; // else deleted meanwhile
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
    return guardDisk(() => openBlob(location.blobPath, location.metaPath));
  }

  /** Paths for `key`, or null when the key is not one the server could have made (SEC-12). */
  private locate(key: string): BlobLocation | null {
    return locateBlob(this.root, key);
  }
}

/** Runs `use` on the regular file at `blobPath`, open for reading, and closes it; undefined when there is none. */
async function withBlobFile<T>(
  blobPath: string,
  use: (handle: FileHandle, stats: Stats) => Promise<T>,
): Promise<T | undefined> {
  const file = await openBlobFile(blobPath);
  if (file === undefined) return undefined;
  try {
    return await use(file.handle, file.stats);
  } finally {
    await file.handle.close();
  }
}
