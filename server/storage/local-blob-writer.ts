import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { type Readable, finished } from "node:stream";
import { badInput, conflict, payloadTooLarge } from "../errors.js";
import {
  descriptors,
  errnoOf,
  fsyncDir,
  linkWithoutReplacing,
  unlinkIfPresent,
  writeAllGathered,
} from "./durable-file.js";
import type { BlobLocation } from "./local-blob-location.js";
import { blobHeader } from "./local-blob-format.js";

/** What a streamed write may receive; sizes in bytes. */
export interface StreamLimits {
  contentType: string;
  maxBytes: number;
  exactBytes: number | null;
}

// Chunks are gathered up to this many bytes (or pieces) per `writev`: an upload of a few hundred KiB is one write.
const GATHER_BYTES = 1024 * 1024;
const GATHER_PIECES = 256;

/**
 * The write half of LocalBlobStore: a blob (header and bytes, see local-blob-format.ts) reaches the disk under a
 * temporary name, is fsynced, and only then is published under its own name. Keys and content types are validated
 * by the caller.
 */
export class LocalBlobWriter {
  // Prefix directories (the few key prefixes the server uses) this process has made; each is created once, not on
  // every write.
  private readonly knownDirs = new Set<string>();

  /**
   * Streams `body` to `location`, enforcing the limits while reading; publishes with a hard link that refuses to
   * replace an existing blob (single-use upload URLs). On a limit breach the stream is left unconsumed.
   */
  async writeStream(location: BlobLocation, body: Readable, limits: StreamLimits): Promise<{ size: number }> {
    // A re-sent upload is refused by the link, once its body is in: checking for the blob before reading (a stat
    // that fails for every new upload) cost each upload a twentieth of its CPU to spare a rare retry its bytes.
    const temp = await this.openTemp(location);
    let published = false;
    try {
      const size = await receive(body, temp.fd, limits, blobHeader(limits.contentType));
      await seal(temp);
      if (!(await linkWithoutReplacing(temp.path, location.blobPath))) throw alreadyUploaded();
      published = true;
      // The temp name is only a second link to the published blob now.
      await Promise.all([fsyncDir(location.dir), unlinkIfPresent(temp.path)]);
      return { size };
    } finally {
      if (!published) await discard(temp);
    }
  }

  /** Writes `bytes` to `location`, replacing what is there (server-side writes: processed images). */
  async put(location: BlobLocation, bytes: Buffer, contentType: string): Promise<void> {
    const temp = await this.openTemp(location);
    let published = false;
    try {
      await writeAllGathered(temp.fd, [blobHeader(contentType), bytes]);
      await seal(temp);
      await fs.rename(temp.path, location.blobPath);
      published = true;
      // A blob of the sidecar format may have been replaced: its sidecar describes bytes that are gone. (Framed
      // blobs never read a sidecar, so the order of the two does not matter.)
      await unlinkIfPresent(location.metaPath);
      await fsyncDir(location.dir);
    } finally {
      if (!published) await discard(temp);
    }
  }

  /** A new temp file beside `location`, open for writing; makes the prefix directory the first time. */
  private async openTemp(location: BlobLocation): Promise<TempFile> {
    const tempPath = path.join(location.dir, `.${location.id}.${randomBytes(8).toString("hex")}.tmp`);
    const create = async (): Promise<TempFile> => ({
      fd: await descriptors.open(tempPath, "wx", 0o600),
      path: tempPath,
      closed: false,
    });
    if (!this.knownDirs.has(location.dir)) await this.makeDir(location.dir);
    try {
      return await create();
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") throw error;
      // The directory was removed behind our back (an operator's cleanup, a restore): make it again.
      this.knownDirs.delete(location.dir);
      await this.makeDir(location.dir);
      return create();
    }
  }

  private async makeDir(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }
}

/** The temp file, open for writing (a descriptor: see `descriptors`) until `closed`. */
interface TempFile {
  fd: number;
  path: string;
  closed: boolean;
}

/**
 * Writes `header`, then `body`, to `fd` in gathered writes; resolves to the body's size, checked against `limits`.
 * Plain `data`/`end` listeners, not `for await`: the async iterator adds a promise and a `readable` round per chunk.
 * On a breach or a failure the listeners come off and the stream is paused, not destroyed, so the caller can
 * still answer on it; a write in flight settles before the returned promise rejects.
 */
function receive(body: Readable, fd: number, limits: StreamLimits, header: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let size = 0;
    let gathered: Buffer[] = [header];
    let gatheredBytes = header.length;
    let writing: Promise<void> = Promise.resolve();
    let settled = false;

    const flush = () => {
      const pieces = gathered;
      gathered = [];
      gatheredBytes = 0;
      return writeAllGathered(fd, pieces);
    };
    const detach = () => {
      settled = true;
      stopWatching();
      body.off("data", onData).off("end", onEnd).pause();
    };
    const fail = (error: unknown) => {
      if (settled) return;
      detach();
      void writing.catch(() => undefined).then(() => reject(error));
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limits.maxBytes) return fail(payloadTooLarge(`The upload exceeds ${limits.maxBytes} bytes.`));
      gathered.push(bytes);
      gatheredBytes += bytes.length;
      if (gatheredBytes >= GATHER_BYTES || gathered.length >= GATHER_PIECES) {
        body.pause();
        writing = flush().then(() => {
          if (!settled) body.resume();
        }, fail);
      }
    };
    const onEnd = () => {
      if (size === 0) return fail(badInput("The upload is empty."));
      if (limits.exactBytes !== null && size !== limits.exactBytes)
        return fail(badInput(`The upload was declared as ${limits.exactBytes} bytes but ${size} arrived.`));
      detach();
      writing.then(flush).then(() => resolve(size), reject);
    };
    // Errors and a close before the end (the sender went away), also when they happened before we listened.
    const stopWatching = finished(body, { writable: false }, (error) => {
      if (error) fail(error);
    });
    body.on("data", onData).on("end", onEnd);
  });
}

/** Makes the written file durable under its temp name and closes it (also when the fsync fails). */
async function seal(temp: TempFile): Promise<void> {
  try {
    await descriptors.fsync(temp.fd);
  } finally {
    temp.closed = true;
    await descriptors.close(temp.fd);
  }
}

/** After a failure: nothing of this write stays on disk. */
async function discard(temp: TempFile): Promise<void> {
  if (!temp.closed) await descriptors.close(temp.fd).catch(() => undefined);
  await unlinkIfPresent(temp.path);
}

const alreadyUploaded = () => conflict("This upload has already been received; complete it or request a new upload.");
