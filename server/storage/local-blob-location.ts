import path from "node:path";
import { AppError, DependencyUnavailableError } from "../errors.js";
import { KEY_PATTERN } from "./blob-key-patterns.js";
import { errnoOf } from "./durable-file.js";
import { SIDECAR_SUFFIX } from "./local-blob-format.js";

/** Where a key's blob and sidecar live under the store's root. */
export interface BlobLocation {
  dir: string;
  blobPath: string;
  metaPath: string;
  id: string;
}

// Errors that mean the disk, not the request, is the problem.
const STORAGE_FAULTS = new Set(["ENOSPC", "EDQUOT", "EROFS", "EIO", "EMFILE", "ENFILE"]);

/** Paths for `key` under `root`, or null when the key is not one the server could have made (SEC-12). */
export function locateBlob(root: string, key: string): BlobLocation | null {
  const match = typeof key === "string" ? KEY_PATTERN.exec(key) : null;
  if (match === null) return null;
  const [, prefix = "", id = ""] = match;
  const dir = path.join(root, prefix);
  const blobPath = path.join(dir, id);
  // The pattern already excludes separators and dots; this is the belt to those braces.
  if (path.dirname(path.dirname(blobPath)) !== root) return null;
  return { dir, blobPath, metaPath: `${blobPath}${SIDECAR_SUFFIX}`, id };
}

/** Disk-level faults become DependencyUnavailableError; the caller's own AppErrors pass through. */
export async function guardDisk<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!(error instanceof AppError) && STORAGE_FAULTS.has(errnoOf(error) ?? ""))
      throw new DependencyUnavailableError("storage", { cause: error });
    throw error;
  }
}
