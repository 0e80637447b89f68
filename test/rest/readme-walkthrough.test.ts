import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectSamePicture, makeImage } from "../support/images.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { startS3rver, type RunningS3rver } from "../support/s3rver.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { s3Env } from "./rest-client.js";

const run = promisify(execFile);
const SECTION = "## REST API (/api/v1)";

/** The README's curl walk-through, the one ```sh block of its REST section, exactly as printed. */
async function walkthrough(): Promise<string> {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf(`\n${SECTION}\n`);
  expect(start, `README.md has no "${SECTION}" section`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  expect(blocks, "the REST section should hold exactly one sh block").toHaveLength(1);
  return blocks[0]!;
}

/** The walk-through uses jq; without it the test cannot show that the README works. */
async function hasJq(): Promise<boolean> {
  return run("jq", ["--version"]).then(
    () => true,
    () => false,
  );
}

describe.each(["local", "s3"] as const)("the README's REST walk-through with the %s driver", (driver) => {
  // Its own Redis: the walk-through registers a fixed username ("alice"), once per server.
  let redis: TestRedis;
  let s3: RunningS3rver | undefined;
  let server: TestApp;
  let dir: string;

  beforeAll(async () => {
    redis = await startTestRedis();
    if (driver === "s3") s3 = await startS3rver();
    server = await startTestApp({ REDIS_URL: redis.url, ...(s3 ? s3Env(s3) : {}) });
    dir = await mkdtemp(path.join(os.tmpdir(), "ih-readme-"));
  });
  afterAll(async () => {
    await server?.close();
    await s3?.stop();
    await redis?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs every command with exit 0 and downloads cat.png as processed", async () => {
    expect(await hasJq(), "the README walk-through needs jq on PATH (apt-get install jq)").toBe(true);
    const cat = await makeImage("png", 32, 24);
    await writeFile(path.join(dir, "cat.png"), cat);
    await writeFile(path.join(dir, "walkthrough.sh"), await walkthrough());

    // -e -u -o pipefail: any failing command (curl -f on an HTTP error, jq on bad JSON) fails the run.
    const result = await run("bash", ["-euo", "pipefail", "walkthrough.sh"], {
      cwd: dir,
      env: { ...process.env, BASE: server.baseUrl },
      timeout: 30_000,
    }).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
      throw new Error(`walk-through failed (exit ${error.code}):\n${error.stdout}\n${error.stderr}`);
    });

    // What is served is cat.png with its metadata removed: the same picture, not the same bytes.
    await expectSamePicture(await readFile(path.join(dir, "downloaded.png")), cat);
    expect(result.stdout).toContain('"filename": "cat.png"');
    expect(result.stdout).toContain('"status": "deleted"');
    expect(result.stdout.trimEnd().split("\n").at(-1)).toBe("404");
  });
});
