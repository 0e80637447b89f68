import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ImageHostClient } from "../../client/image-host-client.js";
import { PASSWORD, cliAgainstServer } from "../support/cli-server.js";
import { uniqueUsername } from "../support/graphql.js";
import type { TestApp } from "../support/test-app.js";
import { expectOneLineError, runCli, runCliOnTerminal } from "./run-cli.js";

/**
 * The `imagehost` command end to end: the real launcher as a child process, against a real server on both storage
 * drivers. Every example of README.md "Command-line client" runs here or in cli-images.test.ts:
 *   register, login (terminal)            → "register and login on a terminal…"
 *   login --username … --password-stdin   → "login --password-stdin…" (register too: "register: …")
 *   whoami, IMAGEHOST_API_KEY=… whoami    → "login --password-stdin…", "keys create/ls/revoke…"
 *   upload cat.png dog.jpg 'pics/*'       → cli-images.test.ts, "upload: valid files print their links…"
 *   upload IMG_0042.heic                  → cli-heic.test.ts, "upload IMG_0042.heic: …"
 *   ls, ls --limit 2 --after, ls --all --json → cli-images.test.ts, "ls: …"
 *   open ID, open ID --browser            → cli-images.test.ts, "open: …"
 *   rm ID                                 → cli-images.test.ts, "rm: …"
 *   keys create laptop, keys ls, keys revoke → "keys create/ls/revoke…"
 *   logout                                → "logout revokes and forgets…"
 * Here the account and its credentials, in order; without a server: cli-offline.test.ts.
 */
describe.each(["local", "s3"] as const)("imagehost CLI with the %s driver", (driver) => {
  const harness = cliAgainstServer(driver);
  const { env, cli, configFile, storedKey } = harness;
  let server: TestApp;
  let home: string;
  const username = uniqueUsername(`cli${driver}`);

  beforeAll(async () => {
    ({ server, home } = harness);
  });

  it("register: creates the account, stores the credential 0600 in a 0700 directory", async () => {
    const result = await cli(["register", "--username", username, "--password-stdin"], { input: `${PASSWORD}\n` });
    expect(result.stderr).toContain(`Registered ${username} on ${server.baseUrl}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect((await stat(configFile())).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(configFile()))).mode & 0o777).toBe(0o700);
    const config = JSON.parse(await readFile(configFile(), "utf8"));
    expect(config.server).toBe(server.baseUrl);
    expect(config.credentials[server.baseUrl]).toMatchObject({ username, apiKey: expect.stringMatching(/^ih_/) });
  });

  it("login --password-stdin: a new session replaces (and revokes) the old one; whoami prints the user", async () => {
    const before = (await storedKey())!;
    const result = await cli(["login", "--username", username, "--password-stdin"], { input: `${PASSWORD}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Logged in to ${server.baseUrl} as ${username}.`);
    const after = (await storedKey())!;
    expect(after).not.toBe(before);
    await expect(new ImageHostClient({ baseUrl: server.baseUrl, credential: before }).me()).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect((await stat(configFile())).mode & 0o777).toBe(0o600);

    const whoami = await cli(["whoami"]);
    expect(whoami).toMatchObject({ code: 0, stdout: `${username}\n` });
    const json = await cli(["whoami", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ username, server: server.baseUrl });
    // Without --server or IMAGEHOST_URL, the server of the last login.
    const fromConfig = await runCli(["whoami"], { env: { XDG_CONFIG_HOME: path.join(home, "config") } });
    expect(fromConfig).toMatchObject({ code: 0, stdout: `${username}\n` });
  });

  it("login with a wrong password: exit 3 with the server's message; the stored session is kept", async () => {
    const before = await storedKey();
    const result = await cli(["login", "--username", username, "--password-stdin"], { input: "wrong-password-123\n" });
    expect(result.code).toBe(3);
    expectOneLineError(result, /^error: Invalid username or password\.$/);
    expect(await storedKey()).toBe(before);
  });

  it("keys create/ls/revoke: the new key works until revoked, then exits 3", async () => {
    const created = await cli(["keys", "create", "laptop"]);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^ih_/);
    expect(created.stderr).toContain("only time its secret is shown");

    const asKey = { IMAGEHOST_API_KEY: secret, XDG_CONFIG_HOME: path.join(home, "empty") };
    expect(await cli(["whoami"], { env: asKey })).toMatchObject({ code: 0, stdout: `${username}\n` });

    const listed = JSON.parse((await cli(["keys", "ls", "--json"])).stdout) as { id: string; name: string }[];
    const laptop = listed.find((k) => k.name === "laptop")!;
    expect(laptop).toBeDefined();
    const table = await cli(["keys", "ls"]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+CREATED\s+LAST USED\s+EXPIRES\n/);
    expect(table.stdout).toContain(laptop.id);

    const revoked = await cli(["keys", "revoke", laptop.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain(`Revoked API key ${laptop.id}.`);

    const refused = await cli(["whoami"], { env: asKey });
    expect(refused.code).toBe(3);
    expectOneLineError(refused, /IMAGEHOST_API_KEY is invalid, revoked or expired/);

    const again = await cli(["keys", "revoke", laptop.id]);
    expect(again.code).toBe(4);
    expectOneLineError(again, /No such API key/);
    expect((await cli(["keys", "frobnicate"])).code).toBe(2);
  });

  it("a credential revoked elsewhere: exit 3 with a one-line hint to log in", async () => {
    await new ImageHostClient({ baseUrl: server.baseUrl, credential: (await storedKey())! }).logout();
    const result = await cli(["ls"]);
    expect(result.code).toBe(3);
    expectOneLineError(result, /Your credential for .* is invalid, revoked or expired: run `imagehost login`/);
  });

  it("logout revokes and forgets the session; whoami then exits 3", async () => {
    const login = await cli(["login", "--username", username, "--password-stdin"], { input: PASSWORD });
    expect(login.code, login.stderr).toBe(0);
    const key = (await storedKey())!;

    const result = await cli(["logout"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Logged out of ${server.baseUrl}.`);
    expect(await storedKey()).toBeUndefined();
    await expect(new ImageHostClient({ baseUrl: server.baseUrl, credential: key }).me()).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect((await stat(configFile())).mode & 0o777).toBe(0o600);

    const whoami = await cli(["whoami"]);
    expect(whoami.code).toBe(3);
    expect(whoami.stdout).toBe("");
    expectOneLineError(whoami, /Not logged in to .*: run `imagehost login`/);
    expect((await cli(["logout"])).code).toBe(3);
  });
  it("register and login on a terminal: prompts, the password never echoed", async () => {
    const name = uniqueUsername(`tty${driver}`);
    const registered = await runCliOnTerminal(["register"], {
      env: env(),
      answers: [
        ["Username: ", name],
        ["Password: ", PASSWORD],
        ["Password (again): ", PASSWORD],
      ],
    });
    if (registered === null) return; // no `script` on this machine to make a terminal
    expect(registered.code, registered.stdout).toBe(0);
    expect(registered.stdout).toContain(`Registered ${name} on ${server.baseUrl}`);
    expect(registered.stdout).not.toContain(PASSWORD);

    const loggedIn = await runCliOnTerminal(["login"], {
      env: env(),
      answers: [
        ["Username: ", name],
        ["Password: ", PASSWORD],
      ],
    });
    expect(loggedIn!.code, loggedIn!.stdout).toBe(0);
    expect(loggedIn!.stdout).toContain(`Logged in to ${server.baseUrl} as ${name}.`);
    expect(loggedIn!.stdout).not.toContain(PASSWORD);
    expect(await cli(["whoami"])).toMatchObject({ code: 0, stdout: `${name}\n` });
  });
});
