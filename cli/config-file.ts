import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CliError, ExitCode } from "./errors.js";

/**
 * `$XDG_CONFIG_HOME/imagehost/config.json` (default `~/.config/imagehost/config.json`): the server last logged into
 * and one session credential per server, so a credential is only ever sent to the server that issued it. The file is
 * 0600 and its directory 0700: it holds secrets.
 */
export interface ConfigFile {
  /** The server of the last login (a normalized base URL); used when neither a flag nor the environment names one. */
  server?: string;
  /** By normalized base URL. */
  credentials: Record<string, StoredCredential>;
}

interface StoredCredential {
  username: string;
  /** The session credential (`ih_…`) from login or register. */
  apiKey: string;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME?.trim() || os.homedir(), ".config");
  return path.join(base, "imagehost", "config.json");
}

export async function readConfig(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { credentials: {} };
    throw new CliError(ExitCode.ERROR, `Cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return parseConfig(JSON.parse(text));
  } catch {
    throw new CliError(ExitCode.ERROR, `${file} is not a valid imagehost config: fix or delete it, then log in again.`);
  }
}

function parseConfig(value: unknown): ConfigFile {
  if (typeof value !== "object" || value === null) throw new Error("not an object");
  const raw = value as { server?: unknown; credentials?: unknown };
  const credentials: Record<string, StoredCredential> = {};
  if (typeof raw.credentials === "object" && raw.credentials !== null) {
    for (const [server, entry] of Object.entries(raw.credentials as Record<string, unknown>)) {
      const { username, apiKey } = (entry ?? {}) as { username?: unknown; apiKey?: unknown };
      if (typeof username === "string" && typeof apiKey === "string") credentials[server] = { username, apiKey };
    }
  }
  return { server: typeof raw.server === "string" ? raw.server : undefined, credentials };
}

/** Writes the whole file atomically (temp file, then rename), 0600 in a 0700 directory. */
export async function writeConfig(file: string, config: ConfigFile): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is masked by the umask and does not touch an existing directory.
  await chmod(dir, 0o700);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new CliError(ExitCode.ERROR, `Cannot write ${file}: ${(error as Error).message}`);
  }
}
