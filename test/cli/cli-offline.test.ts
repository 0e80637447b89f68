import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { PASSWORD } from "../support/cli-server.js";
import { freePort } from "../support/redis-server.js";
import { expectOneLineError, runCli } from "./run-cli.js";

/** `imagehost` with no server to talk to: network errors, how the server is chosen, usage and --help. */
describe("imagehost CLI without a server", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), "ih-cli-down-"));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it("a down server: exit 6 and one line, no stack trace", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const env = {
      XDG_CONFIG_HOME: home,
      IMAGEHOST_URL: url,
      IMAGEHOST_API_KEY: "ih_0000000000000000000000000000000000000000000",
    };
    for (const args of [["whoami"], ["ls"], ["open", "AAAAAAAAAAAAAAAA"]]) {
      const result = await runCli(args, { env });
      expect(result.code, args.join(" ")).toBe(6);
      expect(result.stdout).toBe("");
      expectOneLineError(result, new RegExp(`Cannot reach ${url} \\(connection refused\\)`));
    }
    const login = await runCli(["login", "--username", "alice", "--password-stdin"], {
      env: { XDG_CONFIG_HOME: home, IMAGEHOST_URL: url },
      input: PASSWORD,
    });
    expect(login.code).toBe(6);
  });

  it("resolves the server from --server, then IMAGEHOST_URL, then BASE_URL; refuses a non-http URL", async () => {
    const a = `http://127.0.0.1:${await freePort()}`;
    const b = `http://127.0.0.1:${await freePort()}`;
    const c = `http://127.0.0.1:${await freePort()}`;
    const run = (args: string[], env: Record<string, string>) =>
      runCli(["open", "x", ...args], { env: { XDG_CONFIG_HOME: home, ...env } });
    expect((await run(["--server", a], { IMAGEHOST_URL: b, BASE_URL: c })).stderr).toContain(`Cannot reach ${a}`);
    expect((await run([], { IMAGEHOST_URL: b, BASE_URL: c })).stderr).toContain(`Cannot reach ${b}`);
    expect((await run([], { BASE_URL: `${c}/` })).stderr).toContain(`Cannot reach ${c}`);
    const bad = await run(["--server", "ftp://example.com"], {});
    expect(bad.code).toBe(2);
    expectOneLineError(bad, /must be http or https/);
  });

  it("--help on every command, usage errors exit 2", async () => {
    const env = { XDG_CONFIG_HOME: home };
    const top = await runCli(["--help"], { env });
    expect(top.code).toBe(0);
    const commands = ["register", "login", "logout", "whoami", "upload", "ls", "rm", "keys", "open"];
    for (const command of commands) expect(top.stdout).toContain(`  ${command} `);
    for (const command of commands) {
      const help = await runCli([command, "--help"], { env });
      expect(help.code, command).toBe(0);
      expect(help.stdout).toContain(`imagehost ${command}`);
      expect(help.stdout).toContain("--json");
    }
    expect((await runCli([], { env })).code).toBe(2);
    const unknown = await runCli(["frobnicate"], { env });
    expect(unknown.code).toBe(2);
    expectOneLineError(unknown, /Unknown command "frobnicate"/);
    const flag = await runCli(["ls", "--bogus"], { env });
    expect(flag.code).toBe(2);
    expectOneLineError(flag, /Unknown option --bogus/);
    expect((await runCli(["upload"], { env })).code).toBe(2);
    expect((await runCli(["login"], { env })).code).toBe(2); // stdin is not a terminal and no --password-stdin
  });
});
