import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { gql } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { waitForSubscribers } from "../support/live.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { DELETE_IMAGE, uploadImage } from "../support/uploads.js";
import { registerUser } from "../support/upload-setups.js";
import { CLI_BIN, runCli } from "./run-cli.js";

/** `imagehost watch` (issue 14): one line (or JSON line) per event of the user's images. */
describe("imagehost watch", () => {
  let server: TestApp;
  const redisUrl = inject("redisUrl");

  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server?.close());

  async function user(): Promise<{ apiKey: string; userId: string; env: Record<string, string> }> {
    const { apiKey, userId } = await registerUser(server.baseUrl, "watch");
    return { apiKey, userId, env: { IMAGEHOST_URL: server.baseUrl, IMAGEHOST_API_KEY: apiKey } };
  }

  it("--json --count 3: prints the CREATED, READY and DELETED events as JSON lines, then exits 0", async () => {
    const { apiKey, userId, env } = await user();
    const watching = runCli(["watch", "--json", "--count", "3"], { env });
    await waitForSubscribers(redisUrl, userId);
    const image = await uploadImage(server.baseUrl, apiKey, await makeImage("png"), "image/png", {
      filename: "live.png",
    });
    // uploadImage returns once the worker has processed the image, so READY precedes the delete.
    await gql(server.baseUrl, DELETE_IMAGE, { id: image.id }, apiKey);
    const result = await watching;
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; imageId: string; image: { url: string } | null });
    expect(lines.map((l) => [l.kind, l.imageId])).toEqual([
      ["CREATED", image.id],
      ["READY", image.id],
      ["DELETED", image.id],
    ]);
    expect(lines[0]!.image!.url).toBe(image.url);
    expect(lines[2]!.image).toBeNull();
    expect(result.stderr).toContain("Watching");
  });

  it("prints one line per event until Ctrl-C, then exits 0", async () => {
    const { apiKey, userId, env } = await user();
    const child = spawn(process.execPath, [CLI_BIN, "watch"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      await waitForSubscribers(redisUrl, userId);
      const image = await uploadImage(server.baseUrl, apiKey, await makeImage("gif"), "image/gif", {
        filename: "tile.gif",
      });
      const deadline = Date.now() + 5000;
      while (stdout.split("\n").length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(
        stdout
          .trimEnd()
          .split("\n")
          .map((line) => line.split(/\s+/)),
      ).toEqual([
        ["CREATED", image.id, "tile.gif", image.url],
        ["READY", image.id, "tile.gif", image.url],
      ]);
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("a refused key: exit 3 with one line", async () => {
    const result = await runCli(["watch"], {
      env: { IMAGEHOST_URL: server.baseUrl, IMAGEHOST_API_KEY: `ih_${"x".repeat(43)}` },
    });
    expect(result.code).toBe(3);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
