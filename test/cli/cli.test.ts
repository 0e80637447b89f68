/**
 * The `imagehost` command end to end: the real launcher as a child process, against a real server on both storage
 * drivers. Every example of README.md "Command-line client" runs here:
 *   register, login (terminal)            → "register and login on a terminal…"
 *   login --username … --password-stdin   → "login --password-stdin…" (register too: "register: …")
 *   whoami, IMAGEHOST_API_KEY=… whoami    → "login --password-stdin…", "keys create/ls/revoke…"
 *   upload cat.png dog.jpg 'pics/*'       → "upload: valid files print their links…" (plus two invalid files)
 *   upload IMG_0042.heic                  → cli-heic.test.ts, "upload IMG_0042.heic: …"
 *   ls, ls --limit 2 --after, ls --all --json → "ls: …"
 *   open ID, open ID --browser            → "open: …"
 *   rm ID                                 → "rm: …"
 *   keys create laptop, keys ls, keys revoke → "keys create/ls/revoke…"
 *   logout                                → "logout revokes and forgets…"
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageHostClient } from "../../client/image-host-client.js";
import { uniqueUsername } from "../support/graphql.js";
import { SVG, makeImage, expectSamePicture } from "../support/images.js";
import { freePort } from "../support/redis-server.js";
import type { S3StorageConfig } from "../../server/config.js";
import { rgwBucket, rgwEnv } from "../support/rgw-bucket.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic } from "../support/uploads.js";
import { type CliResult, runCli, runCliOnTerminal } from "./run-cli.js";

const PASSWORD = "sturdy-maple-orbit-5";

interface ImageJson {
  id: string;
  url: string;
  filename: string;
  contentType: string;
  size: number;
}

/** One line on stderr, no stack trace. */
function expectOneLineError(result: CliResult, pattern: RegExp) {
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe.each(["local", "s3"] as const)("imagehost CLI with the %s driver", (driver) => {
  let server: TestApp;
  let s3: S3StorageConfig | undefined;
  let home: string;
  let work: string;
  const username = uniqueUsername(`cli${driver}`);
  const files: Record<string, Buffer> = {};
  let uploaded: ImageJson[] = [];

  const env = (extra: Record<string, string> = {}) => ({
    XDG_CONFIG_HOME: path.join(home, "config"),
    IMAGEHOST_URL: server.baseUrl,
    ...extra,
  });
  const cli = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    runCli(args, { env: env(options.env), input: options.input, cwd: work });
  const configFile = () => path.join(home, "config", "imagehost", "config.json");
  const storedKey = async () =>
    (JSON.parse(await readFile(configFile(), "utf8")) as { credentials: Record<string, { apiKey: string }> })
      .credentials[server.baseUrl]?.apiKey;

  beforeAll(async () => {
    let serverEnv: Record<string, string> = {};
    if (driver === "s3") {
      s3 = await rgwBucket();
      serverEnv = {
        ...rgwEnv(s3),
      };
    }
    server = await startTestApp(serverEnv);
    home = await mkdtemp(path.join(os.tmpdir(), "ih-cli-home-"));
    work = path.join(home, "work");
    await mkdir(path.join(work, "pics"), { recursive: true });
    files["cat.png"] = await makeImage("png", 12, 8);
    files["dog.jpg"] = await makeImage("jpeg", 10, 10);
    files["pics/a.webp"] = await makeImage("webp", 4, 4);
    files["pics/b.gif"] = await makeImage("gif", 3, 3);
    // An SVG renamed .png and a text file: refused before anything is sent.
    files["evil.png"] = SVG;
    files["notes.txt"] = Buffer.from("not an image\n");
    for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(work, name), bytes);
  });
  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
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

  it("upload: valid files print their links in order, invalid ones are reported and never sent, exit non-zero", async () => {
    const result = await cli(["upload", "cat.png", "dog.jpg", "evil.png", "notes.txt", "pics/*"]);
    expect(result.code).toBe(1);
    const urls = result.stdout.trimEnd().split("\n");
    expect(urls).toHaveLength(4);
    for (const url of urls) expect(url).toMatch(new RegExp(`^${server.baseUrl}/image/[A-Za-z0-9_-]{16}$`));
    expect(result.stderr).toContain(
      "error: evil.png: not a JPEG, PNG, GIF, WebP, AVIF or HEIC image (nothing was sent)",
    );
    expect(result.stderr).toContain(
      "error: notes.txt: not a JPEG, PNG, GIF, WebP, AVIF or HEIC image (nothing was sent)",
    );
    expect(result.stderr).toContain("error: 2 of 6 files failed; 4 uploaded.");
    expect(result.stderr).not.toMatch(/\n\s+at /);

    // The links serve the exact bytes, in argument order (the glob sorted).
    const order = ["cat.png", "dog.jpg", "pics/a.webp", "pics/b.gif"];
    for (const [i, url] of urls.entries()) {
      const served = await fetchPublic(url);
      expect(served.status).toBe(200);
      await expectSamePicture(served.bytes, files[order[i]!]!);
    }

    const listed = await cli(["ls", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const page = JSON.parse(listed.stdout) as {
      totalCount: number;
      images: ImageJson[];
      pageInfo: { hasNextPage: boolean };
    };
    // Nothing of the two invalid files reached the server.
    expect(page.totalCount).toBe(4);
    expect(page.images.map((i) => i.url).sort()).toEqual([...urls].sort());
    expect(page.images.map((i) => i.filename).sort()).toEqual(["a.webp", "b.gif", "cat.png", "dog.jpg"]);
    uploaded = page.images;
  });

  it("upload --json reports every file; a bad file alone exits 1 with nothing on stdout", async () => {
    const json = await cli(["upload", "cat.png", "notes.txt", "--json"]);
    expect(json.code).toBe(1);
    const results = JSON.parse(json.stdout) as { file: string; ok: boolean; image?: ImageJson; error?: string }[];
    expect(results.map((r) => [r.file, r.ok])).toEqual([
      ["cat.png", true],
      ["notes.txt", false],
    ]);
    expect(results[0]!.image!.contentType).toBe("image/png");
    expect(results[1]!.error).toMatch(/not a JPEG/);
    uploaded.unshift(results[0]!.image!);

    const bad = await cli(["upload", "notes.txt"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    const missing = await cli(["upload", "nope.png", "none/*.png"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("error: nope.png: no such file");
    expect(missing.stderr).toContain("error: none/*.png: no files match this pattern");
  });

  it("ls: a table, pages with --limit/--after, everything with --all", async () => {
    const table = await cli(["ls"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+CREATED\s+SIZE\s+PIXELS\s+TYPE\s+NAME$/);
    expect(lines).toHaveLength(uploaded.length + 1);
    // The first upload's images were fetched (so processed) in an earlier test.
    expect(lines[2]).toMatch(new RegExp(`^${uploaded[1]!.id}\\s+ready\\s`));
    expect(lines[1]).toContain(uploaded[0]!.id);
    expect(lines.join("\n")).toMatch(/12x8\s+png\s+cat\.png/);

    const first = await cli(["ls", "--limit", "2"]);
    expect(first.stdout.trimEnd().split("\n")).toHaveLength(3);
    const next = /imagehost ls --limit 2 --after (\S+)/.exec(first.stderr);
    expect(next, first.stderr).not.toBeNull();
    const second = JSON.parse((await cli(["ls", "--limit", "2", "--after", next![1]!, "--json"])).stdout) as {
      images: ImageJson[];
    };
    expect(second.images.map((i) => i.id)).toEqual(uploaded.slice(2, 4).map((i) => i.id));

    const all = JSON.parse((await cli(["ls", "--all", "--json", "--limit", "2"])).stdout) as {
      totalCount: number;
      images: ImageJson[];
    };
    expect(all.images.map((i) => i.id)).toEqual(uploaded.map((i) => i.id));
    expect(all.totalCount).toBe(uploaded.length);

    expect((await cli(["ls", "--limit", "0"])).code).toBe(2);
    expect((await cli(["ls", "--all", "--after", "x"])).code).toBe(2);
  });

  it("open: prints the link (no login needed), --browser starts xdg-open with it; unknown id exits 4", async () => {
    const image = uploaded[0]!;
    const opened = await cli(["open", image.id]);
    expect(opened).toMatchObject({ code: 0, stdout: `${image.url}\n` });

    const anonymous = await runCli(["open", image.id, "--json"], {
      env: { XDG_CONFIG_HOME: path.join(home, "empty"), IMAGEHOST_URL: server.baseUrl },
    });
    expect(JSON.parse(anonymous.stdout)).toMatchObject({ id: image.id, url: image.url });

    // A stand-in xdg-open that records what it was asked to open.
    const bin = path.join(home, "bin");
    await mkdir(bin, { recursive: true });
    const record = path.join(home, "opened.txt");
    await writeFile(path.join(bin, "xdg-open"), `#!/bin/sh\nprintf '%s' "$1" > "${record}"\n`);
    await writeFile(path.join(bin, "open"), `#!/bin/sh\nprintf '%s' "$1" > "${record}"\n`);
    await chmod(path.join(bin, "xdg-open"), 0o755);
    await chmod(path.join(bin, "open"), 0o755);
    const browser = await cli(["open", image.id, "--browser"], { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(browser).toMatchObject({ code: 0, stdout: `${image.url}\n` });
    await expect.poll(() => readFile(record, "utf8").catch(() => ""), { timeout: 5000 }).toBe(image.url);

    const unknown = await cli(["open", "AAAAAAAAAAAAAAAA"]);
    expect(unknown.code).toBe(4);
    expectOneLineError(unknown, /No image with id AAAAAAAAAAAAAAAA/);
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

  it("rm: deletes, prints the id, and the link 404s; an unknown id exits 4", async () => {
    const victim = uploaded[0]!;
    const removed = await cli(["rm", victim.id]);
    expect(removed).toMatchObject({ code: 0, stdout: `${victim.id}\n` });
    expect((await fetch(victim.url, { redirect: "manual" })).status).toBe(404);

    const twice = await cli(["rm", victim.id, uploaded[1]!.id]);
    expect(twice.code).toBe(4);
    expect(twice.stdout).toBe(`${uploaded[1]!.id}\n`);
    expect(twice.stderr).toContain(`error: ${victim.id}:`);
    const left = JSON.parse((await cli(["ls", "--json"])).stdout) as { totalCount: number };
    expect(left.totalCount).toBe(uploaded.length - 2);
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
