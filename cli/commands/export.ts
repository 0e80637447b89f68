import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Image, ImageHostClient } from "../../client/image-host-client.js";
import { defineCommand, expectPositionals, intFlag } from "../command.js";
import type { Context } from "../context.js";
import { CliError, ExitCode, toCliError } from "../errors.js";
import { albumsOfImages, awaitProcessed, type ExportAlbum, listAlbums, listImages } from "../export-catalog.js";
import {
  download,
  type FileRecord,
  isIntact,
  METADATA_FILE,
  MetadataWriter,
  previousRecords,
  storedName,
} from "../export-files.js";
import { printable } from "../format.js";
import { ProgressBoard } from "../progress.js";

type Outcome = "downloaded" | "unchanged" | "failed" | "processing" | "unavailable" | "gone";

interface Entry {
  image: Image;
  record: FileRecord | null;
  outcome: Outcome | null;
  error?: CliError;
}

export const exportImages = defineCommand({
  name: "export",
  summary: "Download all your images and their metadata into a folder",
  usage: ["export <dir> [--concurrency N] [--wait SECONDS]"],
  description:
    "Writes every image of yours into <dir> (made if missing) as <id>-<name>.<ext>, and metadata.json: per image\n" +
    "its id, filename, stored file, createdAt, size, width, height, contentType, visibility, status, albums, url,\n" +
    "and the downloaded file's bytes and sha256; and every album with its images in order. The files are the\n" +
    "public copies the links serve (upright, metadata removed); kept originals (KEEP_ORIGINALS) are never served,\n" +
    "so they are not exported. Run it again to bring the folder up to date: files already complete (size and SHA-256\n" +
    "as recorded) are kept, missing, damaged or half-written ones are downloaded again. Images still processing are\n" +
    "waited for (--wait); those that failed processing have no file and are listed as FAILED.",
  options: { concurrency: { type: "string", short: "c" }, wait: { type: "string" } },
  optionHelp: [
    ["-c, --concurrency N", "files downloaded at the same time (1-16, default 4)"],
    ["--wait SECONDS", "how long to wait for images still processing (0-3600, default 120)"],
  ],
  examples: ["imagehost export backup", "imagehost export ~/imagehost-backup --json"],
  async run(context, { values, positionals }) {
    const [target] = expectPositionals("export", positionals, ["dir"]);
    const concurrency = intFlag("concurrency", values.concurrency, 4, 1, 16);
    const waitSeconds = intFlag("wait", values.wait, 120, 0, 3600);
    const client = context.authenticatedClient();
    const dir = path.resolve(context.io.cwd, target!);
    await mkdir(dir, { recursive: true });
    await removeLeftovers(dir);

    const me = await client.me();
    const [images, albums, previous] = await Promise.all([
      listImages(client),
      listAlbums(client),
      previousRecords(dir),
    ]);
    const entries: Entry[] = images.map((image) => ({ image, record: null, outcome: null }));
    const inAlbums = albumsOfImages(albums);
    const metadata = new MetadataWriter(dir, () => render(context, me?.username ?? null, entries, albums, inAlbums));

    const board = context.io.stderr.isTTY && !context.json ? new ProgressBoard(context.io.stderr) : null;
    const say = (print: () => void) => (board ? board.log(print) : print());
    const deadline = Date.now() + waitSeconds * 1000;
    let saidWaiting = false;
    const queue = entries.map((entry, index) => ({ entry, index }));
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const { entry, index } = next;
        try {
          await exportOne(client, dir, entry, previous.get(entry.image.id), deadline, {
            start: (label) => board?.start(index, label, 0),
            update: (received, total) => board?.update(index, received, total),
            waiting: () => {
              if (waitSeconds === 0 || saidWaiting) return;
              saidWaiting = true;
              say(() => context.info(`Waiting up to ${waitSeconds} s for images still processing…`));
            },
          });
        } catch (error) {
          entry.outcome = "failed";
          entry.error = toCliError(error, context.authHint);
        } finally {
          board?.end(index);
        }
        const problem = describeProblem(entry);
        if (problem) say(() => problem(context));
        metadata.schedule();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    } finally {
      board?.stop();
      await metadata.flush();
    }
    report(context, dir, entries);
  },
});

async function exportOne(
  client: ImageHostClient,
  dir: string,
  entry: Entry,
  prior: FileRecord | undefined,
  deadline: number,
  progress: { start(label: string): void; update(received: number, total: number): void; waiting(): void },
): Promise<void> {
  const name = storedName(entry.image);
  if (prior && prior.file === name && (await isIntact(dir, prior))) {
    entry.record = prior;
    entry.outcome = "unchanged";
    return;
  }
  let image: Image | null = entry.image;
  if (image.status === "PROCESSING") {
    progress.waiting();
    image = await awaitProcessed(client, image, deadline);
  }
  // A PRIVATE image's viewUrl carries a grant that lapses: take a fresh one right before downloading.
  else if (image.visibility === "PRIVATE") image = await client.image(image.id);
  if (image === null) {
    entry.outcome = "gone";
    return;
  }
  entry.image = image;
  if (image.status === "PROCESSING") {
    entry.outcome = "processing";
    return;
  }
  if (image.status === "FAILED") {
    entry.outcome = "unavailable";
    return;
  }
  progress.start(image.filename);
  entry.record = await download(image.viewUrl, dir, name, progress.update);
  entry.outcome = "downloaded";
}

/** Half-written files of an export that was killed: never mistaken for images, so just removed. */
async function removeLeftovers(dir: string): Promise<void> {
  const names = await readdir(dir);
  await Promise.all(names.filter((n) => /^\..+\.part$/.test(n)).map((n) => rm(path.join(dir, n), { force: true })));
}

function describeProblem(entry: Entry): ((context: Context) => void) | null {
  const what = `${entry.image.id} (${printable(entry.image.filename)})`;
  switch (entry.outcome) {
    case "failed":
      return (context) => context.reportError(`${what}: ${entry.error?.message ?? "failed"}`);
    case "processing":
      return (context) => context.warn(`${what} is still processing: run the export again once it is ready.`);
    case "unavailable":
      return (context) => context.warn(`${what} failed processing, so there is no file to export.`);
    default:
      return null;
  }
}

function render(
  context: Context,
  username: string | null,
  entries: Entry[],
  albums: ExportAlbum[],
  inAlbums: Map<string, { id: string; title: string }[]>,
) {
  return {
    server: context.server,
    username,
    exportedAt: new Date().toISOString(),
    images: entries
      .filter((e) => e.outcome !== "gone")
      .map(({ image, record }) => ({
        id: image.id,
        filename: image.filename,
        file: record?.file ?? null,
        bytes: record?.bytes ?? null,
        sha256: record?.sha256 ?? null,
        createdAt: image.createdAt,
        size: image.size,
        width: image.width,
        height: image.height,
        contentType: image.contentType,
        visibility: image.visibility,
        status: image.status,
        albums: inAlbums.get(image.id) ?? [],
        url: image.url,
      })),
    albums,
  };
}

function report(context: Context, dir: string, entries: Entry[]): void {
  const ids = (outcome: Outcome) => entries.filter((e) => e.outcome === outcome).map((e) => e.image.id);
  const failed = entries.filter((e) => e.outcome === "failed");
  const processing = ids("processing");
  const exported = entries.filter((e) => e.record !== null).length;
  if (context.json) {
    context.printJson({
      directory: dir,
      metadata: path.join(dir, METADATA_FILE),
      images: entries.filter((e) => e.outcome !== "gone").length,
      downloaded: ids("downloaded"),
      unchanged: ids("unchanged"),
      processing,
      processingFailed: ids("unavailable"),
      failed: failed.map((e) => ({ id: e.image.id, error: e.error?.message, exitCode: e.error?.exitCode })),
    });
  } else {
    context.print(
      `Exported ${exported} images to ${dir}: ${ids("downloaded").length} downloaded, ${ids("unchanged").length} ` +
        `already complete. Metadata: ${path.join(dir, METADATA_FILE)}`,
    );
  }
  if (failed.length > 0) {
    throw new CliError(
      failed[0]!.error?.exitCode ?? ExitCode.ERROR,
      `${failed.length} images could not be downloaded: run the export again to retry them.`,
    );
  }
  if (processing.length > 0) {
    throw new CliError(
      ExitCode.ERROR,
      `${processing.length} images are still processing: run the export again once they are ready.`,
    );
  }
}
