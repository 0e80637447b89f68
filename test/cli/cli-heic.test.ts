/**
 * `imagehost upload` with HEIC photos (issue 10), the real launcher against a real server on both storage drivers:
 * the photo is converted to JPEG on the client, the server records a JPEG, the file on disk stays as it was. Runs
 * the README "Command-line client" example `imagehost upload IMG_0042.heic`.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageHostClient } from "../../client/image-host-client.js";
import type { UploadStage } from "../../client/upload.js";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import type { S3StorageConfig } from "../../server/config.js";
import { rgwBucket, rgwEnv } from "../support/rgw-bucket.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { IMAGE, type ImageData, fetchPublic } from "../support/uploads.js";
import { corruptHeic, halvesPng, heifEnc, makeHeic, withRotation } from "./heif-fixtures.js";
import { runCli } from "./run-cli.js";

const PASSWORD = "sturdy-maple-orbit-5";
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe.each(["local", "s3"] as const)("imagehost upload with HEIC photos, %s driver", (driver) => {
  let server: TestApp;
  let s3: S3StorageConfig | undefined;
  let home: string;
  let work: string;
  let apiKey: string;

  const cli = (args: string[]) =>
    runCli(args, {
      env: { XDG_CONFIG_HOME: path.join(home, "config"), IMAGEHOST_URL: server.baseUrl, IMAGEHOST_API_KEY: apiKey },
      cwd: work,
      timeoutMs: 60_000,
    });
  /** What the server recorded, by GraphQL `image(id)`. */
  const recorded = async (url: string) => {
    const id = url.split("/").pop()!;
    const result = await gql<{ image: ImageData | null }>(server.baseUrl, IMAGE, { id });
    expect(result.errors).toBeUndefined();
    return result.data!.image!;
  };
  const onDisk = async (name: string) => sha256(await readFile(path.join(work, name)));

  beforeAll(async () => {
    let serverEnv: Record<string, string> = {};
    if (driver === "s3") {
      s3 = await rgwBucket();
      serverEnv = {
        ...rgwEnv(s3),
      };
    }
    server = await startTestApp(serverEnv);
    apiKey = (
      await new ImageHostClient({ baseUrl: server.baseUrl }).register(uniqueUsername(`heic${driver}`), PASSWORD)
    ).apiKey;
    home = await mkdtemp(path.join(os.tmpdir(), "ih-cli-heic-"));
    work = path.join(home, "work");
    await mkdir(work, { recursive: true });
    const photo = await makeHeic(96, 64);
    await writeFile(path.join(work, "IMG_0042.heic"), photo);
    await writeFile(path.join(work, "sideways.HEIC"), withRotation(await heifEnc(await halvesPng(40, 20)), 1));
    await writeFile(path.join(work, "broken.heic"), corruptHeic(photo));
    await writeFile(path.join(work, "cat.png"), await makeImage("png", 12, 8));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("upload IMG_0042.heic: prints the link of a JPEG of the photo's size, named IMG_0042.jpg; the .heic is untouched", async () => {
    const before = await onDisk("IMG_0042.heic");
    const { mtimeMs } = await stat(path.join(work, "IMG_0042.heic"));

    const result = await cli(["upload", "IMG_0042.heic"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(new RegExp(`^${server.baseUrl}/image/[A-Za-z0-9_-]{16}\\n$`));
    const url = result.stdout.trim();

    const image = await recorded(url);
    expect(image).toMatchObject({ contentType: "image/jpeg", filename: "IMG_0042.jpg", width: 96, height: 64 });
    const served = await fetchPublic(url);
    expect(served.status).toBe(200);
    expect([...served.bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(served.contentType).toBe("image/jpeg");
    // What is served is the pipeline's re-encoded public copy: its size is its own, not the upload's.
    expect(await sharp(served.bytes).metadata()).toMatchObject({ format: "jpeg", width: 96, height: 64 });

    expect(await onDisk("IMG_0042.heic")).toBe(before);
    expect((await stat(path.join(work, "IMG_0042.heic"))).mtimeMs).toBe(mtimeMs);
  });

  it("a photo taken sideways (irot) is stored upright: 20x40 from a 40x20 picture", async () => {
    const result = await cli(["upload", "sideways.HEIC", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const [entry] = JSON.parse(result.stdout) as { file: string; ok: boolean; image: ImageData }[];
    expect(entry).toMatchObject({
      file: "sideways.HEIC",
      ok: true,
      image: { filename: "sideways.jpg", contentType: "image/jpeg", width: 20, height: 40 },
    });
    expect(await recorded(entry!.image.url)).toMatchObject({ width: 20, height: 40, contentType: "image/jpeg" });
  });

  it("a corrupt HEIC (valid ftyp, garbage after) fails with one line; the valid file still uploads; exit 1", async () => {
    const before = await onDisk("broken.heic");
    const result = await cli(["upload", "broken.heic", "cat.png"]);
    expect(result.code).toBe(1);
    // Only the good file's link on stdout (nothing of libheif's own messages either).
    const links = result.stdout.trimEnd().split("\n");
    expect(links).toHaveLength(1);
    expect((await recorded(links[0]!)).filename).toBe("cat.png");

    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^error: broken\.heic: cannot convert this HEIC\/HEIF image to JPEG \(.+\); nothing was sent$/,
    );
    expect(lines[1]).toBe("error: 1 of 2 files failed; 1 uploaded.");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await onDisk("broken.heic")).toBe(before);

    // Nothing of the broken file reached the server.
    const client = new ImageHostClient({ baseUrl: server.baseUrl, credential: apiKey });
    const names: string[] = [];
    for await (const image of client.allImages()) names.push(image.filename);
    expect(names).not.toContain("broken.jpg");
    expect(names).not.toContain("broken.heic");
  });

  it("ImageHostClient.upload reports its stages: converting (HEIC only), uploading, completing", async () => {
    const client = new ImageHostClient({ baseUrl: server.baseUrl, credential: apiKey });
    const stages: UploadStage[] = [];
    const progress: number[] = [];
    const converted: Blob[] = [];
    const image = await client.upload(new Blob([new Uint8Array(await readFile(path.join(work, "IMG_0042.heic")))]), {
      filename: "from-the-web.heic",
      onStage: (stage) => stages.push(stage),
      onProgress: ({ total }) => progress.push(total),
      onConverted: (jpeg) => converted.push(jpeg),
    });
    expect(stages).toEqual(["converting", "uploading", "completing"]);
    expect(image).toMatchObject({ filename: "from-the-web.jpg", contentType: "image/jpeg", width: 96, height: 64 });
    // Progress counts the JPEG that was sent, not the HEIC; that JPEG is what onConverted handed over.
    expect(new Set(progress)).toEqual(new Set([image.size]));
    expect(converted.map((jpeg) => [jpeg.type, jpeg.size])).toEqual([["image/jpeg", image.size]]);

    stages.length = 0;
    converted.length = 0;
    await client.upload(await makeImage("png"), {
      filename: "plain.png",
      onStage: (stage) => stages.push(stage),
      onConverted: (jpeg) => converted.push(jpeg),
    });
    expect(stages).toEqual(["uploading", "completing"]);
    expect(converted).toEqual([]);
  });
});

describe("imagehost upload --help", () => {
  it("says HEIC/HEIF is converted to JPEG", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "ih-cli-help-"));
    try {
      const help = await runCli(["upload", "--help"], { env: { XDG_CONFIG_HOME: home } });
      expect(help.code).toBe(0);
      const text = help.stdout.replace(/\s+/g, " ");
      expect(text).toContain("HEIC/HEIF photos (iPhone .heic) are converted to JPEG first");
      expect(text).toContain("imagehost upload IMG_0042.heic");
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
