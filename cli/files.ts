import { open, stat } from "node:fs/promises";
import path from "node:path";
import { glob, isDynamicPattern } from "tinyglobby";
import { INPUT_IMAGE_TYPES_TEXT, type InputImageType, SNIFF_BYTES, sniffInputType } from "../client/image-type.js";

export interface InputFile {
  /** As the user wrote it (or as the glob matched it, relative to the working directory). */
  display: string;
  path: string;
}

export interface CheckedFile extends InputFile {
  size: number;
  /** `image/heif` for HEIC/HEIF, which the upload helper converts to JPEG. */
  contentType: InputImageType;
}

/** One input that cannot be uploaded, with why. */
export interface RejectedInput {
  display: string;
  message: string;
}

/**
 * Arguments to files, in order: an existing path is taken as is (even if it looks like a glob), anything else with
 * glob characters is expanded (sorted); duplicates are dropped.
 */
export async function expandInputs(args: string[], cwd: string): Promise<(InputFile | RejectedInput)[]> {
  const seen = new Set<string>();
  const out: (InputFile | RejectedInput)[] = [];
  const add = (display: string, file: string) => {
    const resolved = path.resolve(cwd, file);
    if (seen.has(resolved)) return;
    seen.add(resolved);
    out.push({ display, path: resolved });
  };
  for (const arg of args) {
    const exists = await stat(path.resolve(cwd, arg)).then(
      () => true,
      () => false,
    );
    if (exists || !isDynamicPattern(arg)) {
      add(arg, arg);
      continue;
    }
    const matches = (await glob(arg, { cwd, onlyFiles: true, expandDirectories: false, dot: false })).sort();
    if (matches.length === 0) out.push({ display: arg, message: "no files match this pattern" });
    for (const match of matches) add(match, match);
  }
  return out;
}

/**
 * Size and type by magic bytes, or why it is not an image we may upload (HEIC/HEIF may: it is converted to JPEG).
 * Reads at most a few bytes.
 */
export async function checkFile(input: InputFile): Promise<CheckedFile | RejectedInput> {
  let handle;
  try {
    const info = await stat(input.path);
    if (info.isDirectory()) return { display: input.display, message: "is a directory" };
    if (!info.isFile()) return { display: input.display, message: "is not a regular file" };
    if (info.size === 0) return { display: input.display, message: "is empty" };
    handle = await open(input.path, "r");
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, info.size));
    await handle.read(head, 0, head.length, 0);
    const contentType = sniffInputType(head);
    if (contentType === null)
      return { display: input.display, message: `not a ${INPUT_IMAGE_TYPES_TEXT} image (nothing was sent)` };
    return { ...input, size: info.size, contentType };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    return { display: input.display, message: reason };
  } finally {
    await handle?.close();
  }
}

export function isRejected(value: InputFile | RejectedInput): value is RejectedInput {
  return "message" in value;
}
