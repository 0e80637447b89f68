import { type ConfigFile, configPath, readConfig } from "./config-file.js";
import { usageError } from "./errors.js";

const DEFAULT_SERVER = "http://127.0.0.1:3000";

type ServerSource = "--server" | "IMAGEHOST_URL" | "BASE_URL" | "config" | "default";

/** Where the CLI talks to and with which credential: resolved here, and only here. */
export interface Settings {
  /** Normalized base URL: scheme, host, port and path, without a trailing slash. */
  server: string;
  serverSource: ServerSource;
  /** IMAGEHOST_API_KEY, else the config file's credential for `server`; null when neither. */
  credential: { value: string; source: "IMAGEHOST_API_KEY" | "config"; username?: string } | null;
  configPath: string;
  config: ConfigFile;
}

/**
 * Server: `--server`, then `IMAGEHOST_URL`, then `BASE_URL`, then the server of the last login (config file), then
 * http://127.0.0.1:3000. Credential: `IMAGEHOST_API_KEY`, then the config file's one for that server.
 */
export async function resolveSettings(flags: { server?: string }, env: NodeJS.ProcessEnv): Promise<Settings> {
  const file = configPath(env);
  const config = await readConfig(file);
  const candidates: [ServerSource, string | undefined][] = [
    ["--server", flags.server],
    ["IMAGEHOST_URL", env.IMAGEHOST_URL],
    ["BASE_URL", env.BASE_URL],
    ["config", config.server],
  ];
  const [serverSource, raw] = candidates.find(([, value]) => value !== undefined && value.trim() !== "") ?? [
    "default",
    DEFAULT_SERVER,
  ];
  const server = normalizeServerUrl(raw!, serverSource);

  const fromEnv = env.IMAGEHOST_API_KEY?.trim();
  const stored = config.credentials[server];
  const credential = fromEnv
    ? { value: fromEnv, source: "IMAGEHOST_API_KEY" as const }
    : stored
      ? { value: stored.apiKey, source: "config" as const, username: stored.username }
      : null;
  return { server, serverSource, credential, configPath: file, config };
}

function normalizeServerUrl(raw: string, source: ServerSource): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw usageError(`Not a server URL (from ${source}): ${raw}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw usageError(`The server URL (from ${source}) must be http or https: ${raw}`);
  if (url.username || url.password) throw usageError(`Put no credentials in the server URL (from ${source}).`);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
