import fs, { type FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { errnoOf } from "./durable-file.js";
import { CONTENT_TYPE_PATTERN } from "./blob-key-patterns.js";

/**
 * The `<id>.meta.json` file beside each local blob: its content type and a SHA-256 of its bytes (the ETag and the
 * version `promote` checks). A blob without a valid sidecar matching its size is not fully written and is not
 * served.
 */
export interface Sidecar {
  v: 1;
  contentType: string;
  /** Bytes. */
  size: number;
  /** base64url SHA-256 of the bytes; the ETag. */
  sha256: string;
}

export const SIDECAR_SUFFIX = ".meta.json";

/** The sidecar at `metaPath`, or null when it is absent, damaged or does not describe a blob of `blobSize` bytes. */
export async function readSidecar(metaPath: string, blobSize: number): Promise<Sidecar | null> {
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

/** Opens the blob at `blobPath` with its sidecar, or null when it is absent or not fully written (no sidecar). */
export async function openBlob(blobPath: string, metaPath: string): Promise<OpenedBlob | null> {
  let handle: FileHandle;
  try {
    handle = await fs.open(blobPath, "r");
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "EISDIR") return null;
    throw error;
  }
  try {
    const stats = await handle.stat();
    const meta = stats.isFile() ? await readSidecar(metaPath, stats.size) : null;
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
}
