import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import fs, { type FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { errnoOf } from "./durable-file.js";
import { CONTENT_TYPE_PATTERN } from "./blob-key-patterns.js";

/**
 * How a local blob file says what it holds. Two formats are read; new writes use the first.
 *
 * Framed: the file starts with a header (MAGIC, a 2-byte big-endian length, then JSON `{ contentType, version }`)
 * and the bytes follow. Header and bytes are written, fsynced and published as one file, so a blob that can be seen
 * is whole. (A separate sidecar file cost each upload a second file's create, write, fsync and rename: about a third
 * of the kernel time of a PUT, issue 16.) The version is 128 random bits drawn for each write; a blob is never
 * rewritten in place, so a new write is a new version. It is the ETag, and what `promote` checks.
 *
 * Sidecar (written by earlier releases): the bytes alone, with `<id>.meta.json` beside them holding
 * `{ v: 1, contentType, size, sha256 }`, the SHA-256 of the bytes being the version. Without a sidecar that matches
 * its size such a blob is not fully written, and is not served.
 */
export interface BlobDescription {
  contentType: string;
  version: string;
  /** Of the stored bytes, header excluded. */
  size: number;
  /** Where the stored bytes start in the file. */
  offset: number;
  /** True for the sidecar format: the type and version live in a file of their own. */
  sidecar: boolean;
}

export const SIDECAR_SUFFIX = ".meta.json";

// Not a prefix of any image format (PNG's is 0x89 "PNG"), and binary: no text file starts this way by accident.
const MAGIC = Buffer.from([0x89, 0x49, 0x48, 0x42, 0x0d, 0x0a, 0x1a, 0x0a]);
const LENGTH_BYTES = 2;
/** A header is under 320 bytes (a content type is at most 255); one read of this many holds it whole. */
const HEADER_READ = 512;
const VERSION_PATTERN = /^[A-Za-z0-9_-]{22}$/;
/** The sidecar format's version: a base64url SHA-256. */
const SHA256_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The header a new blob's file starts with. */
export function blobHeader(contentType: string): Buffer {
  const json = Buffer.from(JSON.stringify({ contentType, version: randomBytes(16).toString("base64url") }), "utf8");
  const length = Buffer.alloc(LENGTH_BYTES);
  length.writeUInt16BE(json.length);
  return Buffer.concat([MAGIC, length, json]);
}

/**
 * What the open blob file `handle` (of `fileSize` bytes; `metaPath` is where its sidecar would be) holds, or null
 * when it is not fully written or its header is damaged.
 */
export async function describeBlob(
  handle: FileHandle,
  fileSize: number,
  metaPath: string,
): Promise<BlobDescription | null> {
  const frame = await readFrame(handle, fileSize);
  if (frame !== undefined) return frame;
  const meta = await readSidecar(metaPath, fileSize);
  return meta === null ? null : { ...meta, size: fileSize, offset: 0, sidecar: true };
}

/**
 * Where the stored bytes start in a blob file: after the header when framed, else at 0. Null when the header is
 * damaged.
 */
export async function bytesOffset(handle: FileHandle, fileSize: number): Promise<number | null> {
  const frame = await readFrame(handle, fileSize);
  return frame === undefined ? 0 : (frame?.offset ?? null);
}

/** The header of a framed blob file; undefined when the file is not framed, null when its header is damaged. */
async function readFrame(handle: FileHandle, fileSize: number): Promise<BlobDescription | null | undefined> {
  const head = Buffer.alloc(Math.min(HEADER_READ, fileSize));
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  if (bytesRead < MAGIC.length || !head.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const start = MAGIC.length + LENGTH_BYTES;
  if (bytesRead < start) return null;
  const end = start + head.readUInt16BE(MAGIC.length);
  if (end > bytesRead) return null;
  const header = parseObject(head.toString("utf8", start, end));
  if (
    typeof header?.contentType !== "string" ||
    !CONTENT_TYPE_PATTERN.test(header.contentType) ||
    typeof header.version !== "string" ||
    !VERSION_PATTERN.test(header.version)
  )
    return null;
  return {
    contentType: header.contentType,
    version: header.version,
    size: fileSize - end,
    offset: end,
    sidecar: false,
  };
}

/** The sidecar at `metaPath`, or null when it is absent, damaged or does not describe a blob of `blobSize` bytes. */
async function readSidecar(
  metaPath: string,
  blobSize: number,
): Promise<{ contentType: string; version: string } | null> {
  let text: string;
  try {
    text = await fs.readFile(metaPath, "utf8");
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return null;
    throw error;
  }
  const meta = parseObject(text);
  if (
    meta?.v !== 1 ||
    typeof meta.contentType !== "string" ||
    !CONTENT_TYPE_PATTERN.test(meta.contentType) ||
    meta.size !== blobSize ||
    typeof meta.sha256 !== "string" ||
    !SHA256_PATTERN.test(meta.sha256)
  )
    return null;
  return { contentType: meta.contentType, version: meta.sha256 };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
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

/** Opens the blob at `blobPath`, or null when it is absent or not fully written. */
export async function openBlob(blobPath: string, metaPath: string): Promise<OpenedBlob | null> {
  const file = await openBlobFile(blobPath);
  if (file === undefined) return null;
  const { handle, stats } = file;
  try {
    const blob = await describeBlob(handle, stats.size, metaPath);
    if (blob === null) {
      await handle.close();
      return null;
    }
    const { offset } = blob;
    return {
      size: blob.size,
      contentType: blob.contentType,
      etag: `"${blob.version}"`,
      stream: (range) =>
        handle.createReadStream(range ? { start: offset + range.start, end: offset + range.end } : { start: offset }),
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** The regular file at `blobPath`, open for reading, with its stats; undefined when there is none. */
export async function openBlobFile(blobPath: string): Promise<{ handle: FileHandle; stats: Stats } | undefined> {
  let handle: FileHandle;
  try {
    handle = await fs.open(blobPath, "r");
  } catch (error) {
    const code = errnoOf(error);
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (stats.isFile()) return { handle, stats };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  await handle.close();
  return undefined;
}
