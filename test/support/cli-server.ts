import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { runCli } from "../cli/run-cli.js";
import { rgwBucket, rgwEnv } from "./rgw-bucket.js";
import { startTestApp, type TestApp } from "./test-app.js";

// Shared by the `imagehost` end-to-end suites that run on both storage drivers (test/cli/cli*.test.ts).

export const PASSWORD = "sturdy-maple-orbit-5";

export interface CliAgainstServer {
  server: TestApp;
  /** A fresh HOME-like directory: the CLI's config under `config/`, its working directory `work/` (with `pics/`). */
  home: string;
  work: string;
  /** The CLI's environment: its config under `home`, the server as IMAGEHOST_URL, then `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Runs `imagehost` in `work` with `env`. */
  cli(args: string[], options?: { input?: string; env?: Record<string, string> }): ReturnType<typeof runCli>;
  configFile(): string;
  /** The credential the CLI stored for the server, if any. */
  storedKey(): Promise<string | undefined>;
}

/**
 * Before the enclosing describe's tests: a server on `driver` (a fresh RGW bucket for s3) and the directories;
 * all removed afterwards. The object is filled in by then.
 */
export function cliAgainstServer(driver: "local" | "s3"): CliAgainstServer {
  const h = {} as CliAgainstServer;
  h.env = (extra = {}) => ({ XDG_CONFIG_HOME: path.join(h.home, "config"), IMAGEHOST_URL: h.server.baseUrl, ...extra });
  h.cli = (args, options = {}) => runCli(args, { env: h.env(options.env), input: options.input, cwd: h.work });
  h.configFile = () => path.join(h.home, "config", "imagehost", "config.json");
  h.storedKey = async () =>
    (JSON.parse(await readFile(h.configFile(), "utf8")) as { credentials: Record<string, { apiKey: string }> })
      .credentials[h.server.baseUrl]?.apiKey;

  beforeAll(async () => {
    h.server = await startTestApp(driver === "s3" ? rgwEnv(await rgwBucket()) : {});
    h.home = await mkdtemp(path.join(os.tmpdir(), "ih-cli-home-"));
    h.work = path.join(h.home, "work");
    await mkdir(path.join(h.work, "pics"), { recursive: true });
  });
  afterAll(async () => {
    await h.server?.close();
    if (h.home) await rm(h.home, { recursive: true, force: true });
  });
  return h;
}
