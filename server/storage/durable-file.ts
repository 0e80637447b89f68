import { close, fsync, open, writev } from "node:fs";
import fs from "node:fs/promises";
import { promisify } from "node:util";

/**
 * File helpers for writers that must survive a crash (the local blob store, the signing secret): everything
 * written is fsynced before it is published, and "absent" is an answer, not an error.
 */

/** Creates `filePath` (it must not exist), mode 0600, writes `text` and fsyncs it. */
export async function writeFileDurably(filePath: string, text: string): Promise<void> {
  const handle = await fs.open(filePath, "wx", 0o600);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Plain file descriptors for the upload path, where every file-system call is paid per request: a `FileHandle` is
 * a tracked object, and the same open/write/close/unlink sequence costs about 40 % more CPU through it than
 * through the callback API on a descriptor. Whoever opens one closes it, on every path (no GC safety net).
 */
export const descriptors = {
  open: promisify(open),
  close: promisify(close),
  fsync: promisify(fsync),
  writev: promisify(writev),
};

/** Copies `from` to `to` (replacing it) and fsyncs the copy, so that a name published after it has its bytes. */
export async function copyFileDurably(from: string, to: string): Promise<void> {
  await fs.copyFile(from, to);
  await fsyncPath(to);
}

/** Opens `target` (a file or a directory) for reading and fsyncs it. */
async function fsyncPath(target: string): Promise<void> {
  const fd = await descriptors.open(target, "r");
  try {
    await descriptors.fsync(fd);
  } finally {
    await descriptors.close(fd);
  }
}

/** Writes all of `pieces`, in order, at the descriptor's position with as few `writev` calls as the OS allows. */
export async function writeAllGathered(fd: number, pieces: readonly Buffer[]): Promise<void> {
  let pending = pieces;
  while (pending.length > 0) {
    const { bytesWritten } = await descriptors.writev(fd, pending);
    pending = afterWritten(pending, bytesWritten);
  }
}

/** What is left of `pieces` once their first `count` bytes are written. */
function afterWritten(pieces: readonly Buffer[], count: number): readonly Buffer[] {
  let skipped = 0;
  for (const [index, piece] of pieces.entries()) {
    if (count < skipped + piece.length) return [piece.subarray(count - skipped), ...pieces.slice(index + 1)];
    skipped += piece.length;
  }
  return [];
}

/** Removes `filePath` if it is there: one `unlink`, where `fs.rm` would `lstat` first. */
export async function unlinkIfPresent(filePath: string): Promise<void> {
  try {
    await fs.unlink(filePath);
  } catch (error) {
    if (errnoOf(error) !== "ENOENT") throw error;
  }
}

/** Makes a rename itself durable; some platforms cannot open a directory, which is not worth failing for. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncPath(dir);
  } catch {
    // best effort
  }
}

/**
 * Publishes `from` as `to` unless `to` exists; false when it does. Filesystems without hard links fall back to
 * check-then-rename.
 */
export async function linkWithoutReplacing(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (error) {
    const code = errnoOf(error);
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    if (await exists(to)) return false;
    await fs.rename(from, to);
    return true;
  }
}

async function exists(filePath: string): Promise<boolean> {
  try {
    await fs.stat(filePath);
    return true;
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return false;
    throw error;
  }
}

export async function readDirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return [];
    throw error;
  }
}

/** The `code` of a Node system error (`ENOENT`…), or undefined. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
