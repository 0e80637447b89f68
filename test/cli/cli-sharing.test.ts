/**
 * The sharing commands of README.md "Command-line client", through the real launcher:
 *   imagehost upload --private scan.png        → "upload --private…"
 *   imagehost visibility ID public|private      → "visibility…"
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeImage } from "../support/images.js";
import { statusOf } from "../support/sharing.js";
import { registerApiKey } from "../support/upload-setups.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { runCli } from "./run-cli.js";

describe("imagehost sharing commands", () => {
  let server: TestApp;
  let work: string;
  let key: string;
  const cli = (args: string[]) =>
    runCli(args, { env: { IMAGEHOST_URL: server.baseUrl, IMAGEHOST_API_KEY: key, HOME: work }, cwd: work });

  beforeAll(async () => {
    server = await startTestApp();
    work = await mkdtemp(path.join(os.tmpdir(), "ih-cli-sharing-"));
    key = await registerApiKey(server.baseUrl, "clishare");
    await writeFile(path.join(work, "scan.png"), await makeImage("png", 5, 5));
  });
  afterAll(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("upload --private: the printed link answers 404; visibility public|private switches it", async () => {
    const uploaded = await cli(["upload", "--private", "scan.png"]);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    const url = uploaded.stdout.trim();
    expect(await statusOf(url)).toBe(404);
    const id = url.split("/").pop()!;

    const made = await cli(["visibility", id, "public"]);
    expect(made).toMatchObject({ code: 0, stdout: `${url} public\n` });
    expect(await statusOf(url)).toBe(302);
    const json = await cli(["visibility", id, "private", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, visibility: "PRIVATE" });
    expect(await statusOf(url)).toBe(404);

    expect((await cli(["visibility", id, "hidden"])).code).toBe(2);
    expect((await cli(["visibility", "AAAAAAAAAAAAAAAA", "public"])).code).toBe(4);
  });
});
