/**
 * Issue 18 point 10: `imagehost keys` alone lists the keys, and the hidden password prompt edits on arrow keys,
 * Home/End and Delete instead of typing their escape sequences into the password (driven on a real terminal).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueUsername } from "../support/graphql.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { runCli, runCliOnTerminal } from "./run-cli.js";

const PASSWORD = "quiet-harbor-lantern-8";

describe("imagehost keys and the password prompt", () => {
  let server: TestApp;
  let home: string;
  const username = uniqueUsername("clikeys");
  const env = () => ({ XDG_CONFIG_HOME: path.join(home, "config"), IMAGEHOST_URL: server.baseUrl });
  const cli = (args: string[], input?: string) => runCli(args, { env: env(), input });

  beforeAll(async () => {
    [server, home] = await Promise.all([startTestApp(), mkdtemp(path.join(os.tmpdir(), "ih-cli-keys-"))]);
    const registered = await cli(["register", "--username", username, "--password-stdin"], `${PASSWORD}\n`);
    expect(registered.code, registered.stderr).toBe(0);
  });
  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("`keys` alone lists the keys, as `keys ls` does (table and --json)", async () => {
    expect((await cli(["keys", "create", "desk"])).code).toBe(0);
    const bare = await cli(["keys"]);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toMatch(/^ID\s+NAME\s+CREATED\s+LAST USED\s+EXPIRES\n/);
    expect(bare.stdout).toContain("desk");
    expect(bare.stdout).toBe((await cli(["keys", "ls"])).stdout);

    const json = await cli(["keys", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { name: string }[]).map((k) => k.name)).toEqual(["desk"]);
    // Unknown words stay usage errors.
    expect((await cli(["keys", "lst"])).code).toBe(2);
  });

  it("login on a terminal: ←, ↑, Home, End and Delete edit the password; nothing of them is typed", async () => {
    // Typed: "quiet-harbor-lantern8", ← ↑ "-" → "…lantern-8"; then Home, Delete ("uiet…"), "q", End.
    const typed = "quiet-harbor-lantern8\u001b[D\u001b[A-\u001b[H\u001b[3~q\u001b[F";
    const result = await runCliOnTerminal(["login", "--username", username], {
      env: env(),
      answers: [["Password: ", typed]],
    });
    expect(result, "util-linux `script` is needed to make a terminal").not.toBeNull();
    expect(result!.code, result!.stdout).toBe(0);
    expect(result!.stdout).toContain(`Logged in to ${server.baseUrl} as ${username}.`);
  });
});
