import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { type Readable, finished } from "node:stream";
import { badInput, conflict, payloadTooLarge } from "../errors.js";
import {
  descriptors,
  errnoOf,
  exists,
  fsyncDir,
  linkWithoutReplacing,
  unlinkIfPresent,
  writeAll,
  writeAllGathered,
} from "./durable-file.js";
import type { BlobLocation } from "./local-blob-location.js";
import type { Sidecar } from "./local-blob-sidecar.js";

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
 * The write half of LocalBlobStore: a blob and its sidecar reach the disk under temporary names, are fsynced, and
 * only then are published under their own names. Keys and content types are validated by the caller.
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
    // The early refusal of a re-sent upload (before a byte is read) costs no extra wait: it runs beside the opens.
    const [present, opened] = await Promise.allSettled([exists(location.blobPath), this.openTemp(location)]);
    if (opened.status === "rejected") throw opened.reason;
    const temp = opened.value;
    let published = false;
    try {
      if (present.status === "rejected") throw present.reason;
      if (present.value) throw alreadyUploaded();
      const { size, sha256 } = await receive(body, temp.blob, limits);
      await seal(temp, { v: 1, contentType: limits.contentType, size, sha256 });
      if (!(await linkWithoutReplacing(temp.blobPath, location.blobPath))) throw alreadyUploaded();
      await fs.rename(temp.metaPath, location.metaPath);
      published = true;
      // The temp name is only a second link to the published blob now.
      await Promise.all([fsyncDir(location.dir), unlinkIfPresent(temp.blobPath)]);
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
      await writeAll(temp.blob, bytes);
      const sha256 = createHash("sha256").update(bytes).digest("base64url");
      await seal(temp, { v: 1, contentType, size: bytes.length, sha256 });
      // Between the two renames the sidecar does not match the blob, and openRead serves nothing.
      await fs.rename(temp.blobPath, location.blobPath);
      await fs.rename(temp.metaPath, location.metaPath);
      published = true;
      await fsyncDir(location.dir);
    } finally {
      if (!published) await discard(temp);
    }
  }

  /**
   * New temp files for the blob and its sidecar beside `location`, both open for writing (opened together, so the
   * sidecar's open is not on the way once the bytes are in); makes the prefix directory the first time.
   */
  private async openTemp(location: BlobLocation): Promise<TempFiles> {
    const suffix = randomBytes(8).toString("hex");
    const blobPath = path.join(location.dir, `.${location.id}.${suffix}.tmp`);
    const metaPath = path.join(location.dir, `.${location.id}.${suffix}.meta.tmp`);
    if (!this.knownDirs.has(location.dir)) await this.makeDir(location.dir);
    try {
      return await openBoth(blobPath, metaPath);
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") throw error;
      // The directory was removed behind our back (an operator's cleanup, a restore): make it again.
      this.knownDirs.delete(location.dir);
      await this.makeDir(location.dir);
      return openBoth(blobPath, metaPath);
    }
  }

  private async makeDir(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }
}

/** The two temp files, open for writing (descriptors: see `descriptors`); `closed` once both are closed. */
interface TempFiles {
  blob: number;
  meta: number;
  closed: boolean;
  blobPath: string;
  metaPath: string;
}

/** Creates both temp files; when one cannot be created, the other is removed again before this throws. */
async function openBoth(blobPath: string, metaPath: string): Promise<TempFiles> {
  const paths = [blobPath, metaPath];
  const [blob, meta] = await Promise.allSettled(paths.map((filePath) => descriptors.open(filePath, "wx", 0o600)));
  if (blob?.status === "fulfilled" && meta?.status === "fulfilled")
    return { blob: blob.value, meta: meta.value, closed: false, blobPath, metaPath };
  let failure: unknown;
  await Promise.all(
    [blob, meta].map(async (opened, i) => {
      if (opened?.status === "rejected") failure ??= opened.reason;
      if (opened?.status !== "fulfilled") return;
      await descriptors.close(opened.value).catch(() => undefined);
      await unlinkIfPresent(paths[i] ?? "");
    }),
  );
  throw failure;
}

/**
 * Reads `body` into `handle` in gathered writes, hashing as it goes; checks the size against `limits`. Plain
 * `data`/`end` listeners, not `for await`: the async iterator adds a promise and a `readable` round per chunk.
 * On a breach or a failure the listeners come off and the stream is paused, not destroyed, so the caller can
 * still answer on it; a write in flight settles before the returned promise rejects.
 */
function receive(body: Readable, fd: number, limits: StreamLimits): Promise<{ size: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    let size = 0;
    let gathered: Buffer[] = [];
    let gatheredBytes = 0;
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
      hash.update(bytes);
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
      writing.then(flush).then(() => resolve({ size, sha256: hash.digest("base64url") }), reject);
    };
    // Errors and a close before the end (the sender went away), also when they happened before we listened.
    const stopWatching = finished(body, { writable: false }, (error) => {
      if (error) fail(error);
    });
    body.on("data", onData).on("end", onEnd);
  });
}

/**
 * Makes the written blob and its sidecar durable under their temp names and closes both. The two are independent
 * until the blob is published, so the blob's fsync and the sidecar's write + fsync run at the same time; both have
 * settled before this returns or throws, so nothing is left writing behind the caller's cleanup.
 */
async function seal(temp: TempFiles, meta: Sidecar): Promise<void> {
  const writeSidecar = async () => {
    await writeAll(temp.meta, Buffer.from(JSON.stringify(meta), "utf8"));
    await descriptors.fsync(temp.meta);
  };
  const [synced, sidecar] = await Promise.allSettled([descriptors.fsync(temp.blob), writeSidecar()]);
  temp.closed = true;
  await Promise.all([descriptors.close(temp.blob), descriptors.close(temp.meta)]);
  if (synced.status === "rejected") throw synced.reason;
  if (sidecar.status === "rejected") throw sidecar.reason;
}

/** After a failure: nothing of this write stays on disk. */
async function discard(temp: TempFiles): Promise<void> {
  if (!temp.closed)
    await Promise.all([descriptors.close(temp.blob), descriptors.close(temp.meta)]).catch(() => undefined);
  await Promise.all([unlinkIfPresent(temp.blobPath), unlinkIfPresent(temp.metaPath)]);
}

const alreadyUploaded = () => conflict("This upload has already been received; complete it or request a new upload.");
