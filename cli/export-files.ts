/**
 * The files of `imagehost export`: names, the downloads (temp file, then rename, so a file under its final name is
 * always complete), and what a previous run recorded in metadata.json (size and SHA-256 of each file it wrote), by
 * which a second run tells a complete file from a damaged or missing one without asking the server.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { CliError, ExitCode } from "./errors.js";

export const METADATA_FILE = "metadata.json";

/** What is known of a file written by an export. */
export interface FileRecord {
  file: string;
  bytes: number;
  sha256: string;
}

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "image/avif": ".avif",
};

/**
 * `<id>-<name>.<ext>`: the id keeps names unique (two uploads may share a filename) and stable across runs; the
 * display name, reduced to safe characters, keeps the folder readable. The filename came from whoever uploaded, so
 * nothing of it can climb out of the folder or hide the file (no separators, no leading dot).
 */
export function storedName(image: { id: string; filename: string; contentType: string }): string {
  const extension = EXTENSIONS[image.contentType] ?? ".bin";
  const stem = image.filename
    .replace(/\.[A-Za-z0-9]{1,5}$/, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._-]+/, "")
    .slice(0, 60);
  return stem === "" ? `${image.id}${extension}` : `${image.id}-${stem}${extension}`;
}

/** The records of the previous export into `dir` (image id → file), or none when there is no readable one. */
export async function previousRecords(dir: string): Promise<Map<string, FileRecord>> {
  const records = new Map<string, FileRecord>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path.join(dir, METADATA_FILE), "utf8"));
  } catch {
    return records;
  }
  const images = (parsed as { images?: unknown }).images;
  if (!Array.isArray(images)) return records;
  for (const entry of images as Record<string, unknown>[]) {
    const { id, file, bytes, sha256 } = entry;
    if (typeof id === "string" && typeof file === "string" && typeof bytes === "number" && typeof sha256 === "string")
      records.set(id, { file, bytes, sha256 });
  }
  return records;
}

/** Whether the file is there with the recorded size and content (hashing it: images are small, disks are not). */
export async function isIntact(dir: string, record: FileRecord): Promise<boolean> {
  const file = path.join(dir, record.file);
  try {
    if ((await stat(file)).size !== record.bytes) return false;
  } catch {
    return false;
  }
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex") === record.sha256;
}

/**
 * Downloads `url` (redirects followed, no credential sent: the link or its grant is the permission) to `dir/name`
 * through `.name.part`, which is replaced by every attempt, so an interrupted download never passes for a file.
 */
export async function download(
  url: string,
  dir: string,
  name: string,
  onProgress: (received: number, total: number) => void,
): Promise<FileRecord> {
  const protocol = URL.canParse(url) ? new URL(url).protocol : "";
  if (protocol !== "http:" && protocol !== "https:")
    throw new CliError(ExitCode.ERROR, `the server gave a link that is not http(s): ${url}`);
  let response: Response;
  try {
    response = await fetch(url, { redirect: "follow" });
  } catch (error) {
    throw new CliError(ExitCode.NETWORK, `cannot reach ${new URL(url).origin} (${describe(error)})`, { cause: error });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw httpFailure(response.status);
  }
  // Only an unencoded body's length is the file's length (fetch decodes gzip and the like).
  const declared = response.headers.has("content-encoding") ? NaN : Number(response.headers.get("content-length"));
  const total = Number.isFinite(declared) ? declared : 0;
  const hash = createHash("sha256");
  let received = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      received += chunk.length;
      onProgress(received, total);
      done(null, chunk);
    },
  });
  const partial = path.join(dir, `.${name}.part`);
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), count, createWriteStream(partial));
    if (total > 0 && received !== total)
      throw new CliError(ExitCode.NETWORK, `the download stopped after ${received} of ${total} bytes`);
    await rename(partial, path.join(dir, name));
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(ExitCode.NETWORK, `the download failed (${describe(error)})`, { cause: error });
  }
  return { file: name, bytes: received, sha256: hash.digest("hex") };
}

function httpFailure(status: number): CliError {
  if (status === 404) return new CliError(ExitCode.NOT_FOUND, "the image is gone (404): deleted meanwhile?");
  if (status === 503) return new CliError(ExitCode.SERVER, "the image is not served yet (503): still processing?");
  return new CliError(status >= 500 ? ExitCode.SERVER : ExitCode.ERROR, `the download answered HTTP ${status}`);
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}

/**
 * metadata.json, rewritten (temp file, then rename) at most once a second while the export runs and once at its
 * end: an export cut short still records the files it finished, so the next run keeps them.
 */
export class MetadataWriter {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly render: () => unknown,
  ) {}

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write().catch(() => undefined);
    }, 1000);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.write();
  }

  /** One write at a time, each with the state of its own moment. */
  private write(): Promise<void> {
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        const target = path.join(this.dir, METADATA_FILE);
        const temp = `${target}.part`;
        await writeFile(temp, `${JSON.stringify(this.render(), null, 2)}\n`);
        await rename(temp, target);
      });
    return this.writing;
  }
}
