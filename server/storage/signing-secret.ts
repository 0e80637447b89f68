import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { fsyncDir, writeFileDurably } from "./durable-file.js";

const SECRET_BYTES = 32;

/**
 * The HMAC key for local upload URLs. A configured secret wins (every node of a cluster must share it); otherwise
 * the key lives in `<dataDir>/secrets/upload-signing.key`, created on first start. Creation uses `wx` on a fully
 * written temp file linked into place, so two processes starting together end up with the same key and neither
 * can read a half-written one.
 */
export async function loadOrCreateSigningSecret(dataDir: string, configured: string | null): Promise<Buffer> {
  if (configured !== null) return Buffer.from(configured, "utf8");

  const dir = path.join(dataDir, "secrets");
  const file = path.join(dir, "upload-signing.key");
  const existing = await readSecret(file);
  if (existing !== null) return existing;

  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.upload-signing.key.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  await writeFileDurably(tmp, randomBytes(SECRET_BYTES).toString("base64url") + "\n");
  try {
    await publishExclusively(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
  // The key's name must outlive a power cut like its bytes: a lost key voids every upload URL signed with it.
  await fsyncDir(dir);
  const created = await readSecret(file);
  if (created === null) throw new Error(`Could not read the upload signing key at ${file}`);
  return created;
}

/** Puts `tmp` at `file` unless `file` exists; losing that race to another process is fine, its key is the key. */
async function publishExclusively(tmp: string, file: string): Promise<void> {
  try {
    await fs.link(tmp, file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "EEXIST") return;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
    // No hard links on this filesystem: an exclusive copy still lets only one process win.
    try {
      await fs.copyFile(tmp, file, fsConstants.COPYFILE_EXCL);
    } catch (copyError) {
      if ((copyError as { code?: unknown }).code !== "EEXIST") throw copyError;
    }
  }
}

async function readSecret(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return null;
    throw error;
  }
  const secret = Buffer.from(text.trim(), "base64url");
  if (secret.length < SECRET_BYTES)
    throw new Error(`The upload signing key at ${file} is damaged (expected ${SECRET_BYTES} base64url bytes)`);
  return secret;
}
