import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageHostClient } from "../../client/image-host-client.js";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage, pngHeaderClaiming } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { IMAGE_FIELDS } from "../support/uploads.js";
import { runCli, runCliOnTerminal } from "./run-cli.js";

const STATUS = `query($id: ID!) { image(id: $id) { ${IMAGE_FIELDS} status failureReason } }`;

/** `imagehost upload --wait` (issues 13 and 14) and the `file → link` lines on a terminal (issue 18). */
describe("imagehost upload --wait", () => {
  let server: TestApp;
  let home: string;
  let apiKey: string;
  const env = () => ({ IMAGEHOST_URL: server.baseUrl, IMAGEHOST_API_KEY: apiKey, XDG_CONFIG_HOME: home });
  const statusOf = async (url: string) => {
    const id = url.split("/").pop()!;
    const result = await gql<{ image: { status: string } }>(server.baseUrl, STATUS, { id }, apiKey);
    return result.data!.image.status;
  };

  beforeAll(async () => {
    server = await startTestApp();
    home = await mkdtemp(path.join(os.tmpdir(), "ih-cli-wait-"));
    await writeFile(path.join(home, "good.png"), await makeImage("png", 64, 48));
    // Right magic bytes, nothing decodable after them: passes completeUpload, fails in the worker.
    await writeFile(path.join(home, "poison.png"), pngHeaderClaiming(50, 40));
    const anonymous = new ImageHostClient({ baseUrl: server.baseUrl });
    apiKey = (await anonymous.register(uniqueUsername("wait"), "amber-comet-ladder-8")).apiKey;
  });
  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("prints a link only once its image is READY, and fails a file the server could not process", async () => {
    const result = await runCli(["upload", "--wait", "good.png", "poison.png"], {
      env: env(),
      cwd: home,
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(1);
    const links = result.stdout.trimEnd().split("\n");
    expect(links).toHaveLength(1);
    expect(await statusOf(links[0]!)).toBe("READY");
    expect(result.stderr).toMatch(/poison\.png: uploaded, but the server could not process it: .*could not be decoded/);
    expect(result.stderr).toContain("1 of 2 files failed; 1 uploaded.");
  });

  it("without --wait answers once the bytes are verified, and the same poison file counts as uploaded", async () => {
    const result = await runCli(["upload", "poison.png"], { env: env(), cwd: home });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${server.baseUrl}/image/[A-Za-z0-9_-]{16}\\n$`));
  });

  it("names the file before each link on a terminal; piped output stays links only", async () => {
    const onTerminal = await runCliOnTerminal(["upload", path.join(home, "good.png")], { env: env(), answers: [] });
    if (onTerminal === null) return; // no `script` on this machine to make a terminal
    expect(onTerminal.code, onTerminal.stdout).toBe(0);
    expect(onTerminal.stdout).toMatch(new RegExp(`good\\.png → ${server.baseUrl}/image/[A-Za-z0-9_-]{16}`));
  });
});
