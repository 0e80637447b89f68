import { openAsBlob } from "node:fs";
import path from "node:path";
import { isImageHostError } from "../../client/errors.js";
import type { Visibility } from "../../client/generated/graphql.js";
import type { Image } from "../../client/image-host-client.js";
import { defineCommand, intFlag } from "../command.js";
import type { Context } from "../context.js";
import { CliError, ExitCode, toCliError, usageError } from "../errors.js";
import { type CheckedFile, checkFile, expandInputs, isRejected } from "../files.js";
import { printable } from "../format.js";
import { ProgressBoard } from "../progress.js";

type Outcome = { display: string; image: Image } | { display: string; error: CliError };

export const upload = defineCommand({
  name: "upload",
  summary: "Upload images and print their public links",
  usage: ["upload <file|glob>... [--concurrency N] [--private] [--wait]"],
  description:
    "Only JPEG, PNG, GIF, WebP and AVIF files are sent: every file's type is checked by its first bytes before\n" +
    "anything is sent, and the others are reported and skipped. HEIC/HEIF photos (iPhone .heic) are converted to\n" +
    "JPEG first, rotated as they display, and stored as <name>.jpg; the file on disk is left as it is. Links are\n" +
    "printed on stdout, one per line, in the order of the arguments (as `file → link` when stdout is a terminal);\n" +
    "progress bars go to stderr when it is a terminal. The server then processes each image (metadata removed,\n" +
    "thumbnails made): its link answers 503 for about a second; --wait prints each link only once it is ready.\n" +
    " Quote globs to let imagehost expand them ('shots/*.png'). Exits non-zero when any file failed (with\n" +
    "the exit code of the first failure).",
  options: { concurrency: { type: "string", short: "c" }, private: { type: "boolean" }, wait: { type: "boolean" } },
  optionHelp: [
    ["-c, --concurrency N", "files sent at the same time (1-16, default 4)"],
    ["--wait", "wait until each image is processed; a failure to process it counts as a failed file"],
    ["--private", "the links answer 404 to everyone but you (change with `imagehost visibility`)"],
  ],
  examples: [
    "imagehost upload cat.png",
    "imagehost upload 'holiday/*.jpg' logo.webp",
    "imagehost upload IMG_0042.heic      # sent as IMG_0042.jpg",
    "imagehost upload shot.png --json",
    "imagehost upload --private scan.png",
    "imagehost upload --wait photo.jpg",
  ],
  async run(context, { values, positionals }) {
    if (positionals.length === 0) throw usageError("Name at least one file to upload. Run `imagehost upload --help`.");
    const concurrency = intFlag("concurrency", values.concurrency, 4, 1, 16);
    const client = context.authenticatedClient();
    const visibility = values.private === true ? "PRIVATE" : "PUBLIC";
    const options: UploadOneOptions = { visibility, wait: values.wait === true };
    // Piped output stays links only, one per line, for scripts; a person at a terminal sees which file is which.
    const line = (outcome: Outcome & { image: Image }) =>
      context.io.stdout.isTTY ? `${printable(outcome.display)} → ${outcome.image.url}` : outcome.image.url;

    // Every input is checked before anything is sent.
    const inputs = await expandInputs(positionals, context.io.cwd);
    const checked = await Promise.all(inputs.map((input) => (isRejected(input) ? input : checkFile(input))));

    const board = context.io.stderr.isTTY && !context.json ? new ProgressBoard(context.io.stderr) : null;
    const say = (print: () => void) => (board ? board.log(print) : print());
    const outcomes: (Outcome | undefined)[] = new Array(checked.length);
    let printed = 0;
    /** Links and errors in argument order, each as soon as everything before it is done. */
    const flush = () => {
      while (printed < outcomes.length && outcomes[printed] !== undefined) {
        const outcome = outcomes[printed++]!;
        if (context.json) continue;
        if ("image" in outcome) say(() => context.print(line(outcome)));
        else say(() => context.reportError(`${printable(outcome.display)}: ${outcome.error.message}`));
      }
    };

    checked.forEach((entry, index) => {
      if (isRejected(entry))
        outcomes[index] = { display: entry.display, error: new CliError(ExitCode.ERROR, entry.message) };
    });
    flush();

    const queue = checked.flatMap((entry, index) => (isRejected(entry) ? [] : [{ file: entry, index }]));
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        outcomes[next.index] = await uploadOne(context, client, next.file, next.index, board, options);
        flush();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    } finally {
      board?.stop();
    }

    const done = outcomes as Outcome[];
    if (context.json) {
      context.printJson(
        done.map((o) =>
          "image" in o
            ? { file: o.display, ok: true, image: o.image }
            : { file: o.display, ok: false, error: o.error.message, exitCode: o.error.exitCode },
        ),
      );
    }
    const failures = done.filter((o): o is Extract<Outcome, { error: CliError }> => "error" in o);
    if (failures.length > 0) {
      const uploaded = done.length - failures.length;
      throw new CliError(
        failures[0]!.error.exitCode,
        `${failures.length} of ${done.length} files failed; ${uploaded} uploaded.`,
      );
    }
  },
});

interface UploadOneOptions {
  visibility: Visibility;
  wait: boolean;
}

async function uploadOne(
  context: Context,
  client: ReturnType<Context["client"]>,
  file: CheckedFile,
  index: number,
  board: ProgressBoard | null,
  { visibility, wait }: UploadOneOptions,
): Promise<Outcome> {
  board?.start(index, file.display, file.size);
  try {
    // A lazy, file-backed Blob: the bytes are read while they are sent, never all held in memory.
    const blob = await openAsBlob(file.path, { type: file.contentType });
    const image = await client.upload(blob, {
      filename: path.basename(file.path),
      visibility,
      onProgress: ({ sent, total }) => board?.update(index, sent, total),
      onStage: (stage) => board?.setStatus(index, stage === "converting" ? "converting to JPEG" : null),
    });
    if (!wait) return { display: file.display, image };
    board?.setStatus(index, "processing");
    const processed = await client.awaitProcessed(image.id);
    if (processed.status === "FAILED") {
      const message = `uploaded, but the server could not process it: ${processed.failureReason ?? "no reason given"}`;
      return { display: file.display, error: new CliError(ExitCode.ERROR, message) };
    }
    return { display: file.display, image: processed };
  } catch (error) {
    if (isImageHostError(error, "BAD_USER_INPUT") && error.details.stage === "converting") {
      // The client's message names the file again; the line already starts with it.
      const message = `cannot convert this HEIC/HEIF image to JPEG (${String(error.details.reason)}); nothing was sent`;
      return { display: file.display, error: new CliError(ExitCode.ERROR, message, { cause: error }) };
    }
    return { display: file.display, error: toCliError(error, context.authHint) };
  } finally {
    board?.end(index);
  }
}
