/**
 * `imagehost export DIR` (issue 20) through the real launcher against a real server, including the README's
 * "Command-line client" example `imagehost export backup`: the files are exactly what the links serve,
 * metadata.json lists every image with its albums, a second run restores only what is missing or damaged, and
 * images still processing are waited for or reported.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, stat, truncate, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeImage } from "../support/images.js";
import { ok, uploadPng } from "../support/sharing.js";
import { registerApiKey } from "../support/upload-setups.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { awaitSettled, fetchPublic, uploadImage } from "../support/uploads.js";
import { CLI_BIN, runCli } from "./run-cli.js";

interface Metadata {
  username: string;
  images: {
    id: string;
    filename: string;
    file: string | null;
    bytes: number | null;
    sha256: string | null;
    size: number;
    width: number;
    height: number;
    contentType: string;
    visibility: string;
    status: string;
    albums: { id: string; title: string }[];
    url: string;
    createdAt: string;
  }[];
  albums: { id: string; title: string; imageIds: string[] }[];
}

const readMetadata = async (dir: string) =>
  JSON.parse(await readFile(path.join(dir, "metadata.json"), "utf8")) as Metadata;

/** The bytes a browser gets for the image: the public link, or for a PRIVATE one the owner's viewUrl. */
async function servedBytes(baseUrl: string, key: string, id: string): Promise<Buffer> {
  const { image } = await ok<{ image: { url: string; viewUrl: string } }>(
    baseUrl,
    `query($id: ID!) { image(id: $id) { url viewUrl } }`,
    { id },
    key,
  );
  const served = await fetchPublic(image.viewUrl);
  expect(served.status).toBe(200);
  return served.bytes;
}

async function createAlbum(baseUrl: string, key: string, title: string, imageIds: string[]): Promise<string> {
  const { createAlbum } = await ok<{ createAlbum: { id: string } }>(
    baseUrl,
    `mutation($input: CreateAlbumInput!) { createAlbum(input: $input) { id } }`,
    { input: { title } },
    key,
  );
  await ok(
    baseUrl,
    `mutation($a: ID!, $i: [ID!]!) { addToAlbum(albumId: $a, imageIds: $i) { id } }`,
    {
      a: createAlbum.id,
      i: imageIds,
    },
    key,
  );
  return createAlbum.id;
}

describe("imagehost export", () => {
  let server: TestApp;
  let work: string;
  let key: string;
  const ids: Record<"cat" | "dog" | "scan", string> = { cat: "", dog: "", scan: "" };
  const albums: Record<"pets" | "best", string> = { pets: "", best: "" };
  const cli = (args: string[]) =>
    runCli(args, { env: { IMAGEHOST_URL: server.baseUrl, IMAGEHOST_API_KEY: key, HOME: work }, cwd: work });
  const backup = () => path.join(work, "backup");

  beforeAll(async () => {
    server = await startTestApp();
    work = await mkdtemp(path.join(os.tmpdir(), "ih-cli-export-"));
    key = await registerApiKey(server.baseUrl, "cliexport");
    ids.cat = (
      await uploadImage(server.baseUrl, key, await makeImage("png", 12, 8), "image/png", { filename: "cat.png" })
    ).id;
    ids.dog = (
      await uploadImage(server.baseUrl, key, await makeImage("jpeg", 9, 14), "image/jpeg", {
        filename: "../../dog photo.jpg",
      })
    ).id;
    ids.scan = (await uploadPng(server.baseUrl, key, "PRIVATE")).id;
    albums.pets = await createAlbum(server.baseUrl, key, "Pets", [ids.dog, ids.cat]);
    albums.best = await createAlbum(server.baseUrl, key, "Best of", [ids.cat]);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("README: `imagehost export backup` writes every image as served, and metadata.json with its albums", async () => {
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toMatch(/^imagehost export backup\s+#/m);

    const result = await cli(["export", "backup"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Exported 3 images to .*backup: 3 downloaded, 0 already complete\./);
    expect(result.stderr).toBe("");

    const metadata = await readMetadata(backup());
    expect(metadata.images.map((i) => i.id).sort()).toEqual(Object.values(ids).sort());
    for (const image of metadata.images) {
      expect(image.status).toBe("READY");
      const bytes = await readFile(path.join(backup(), image.file!));
      expect(bytes.equals(await servedBytes(server.baseUrl, key, image.id)), image.filename).toBe(true);
      expect(image.bytes).toBe(bytes.length);
      expect(image.url).toBe(`${server.baseUrl}/image/${image.id}`);
    }
    const byId = (id: string) => metadata.images.find((i) => i.id === id)!;
    expect(byId(ids.cat)).toMatchObject({ filename: "cat.png", contentType: "image/png", visibility: "PUBLIC" });
    expect(
      byId(ids.cat)
        .albums.map((a) => a.title)
        .sort(),
    ).toEqual(["Best of", "Pets"]);
    expect(byId(ids.dog).albums).toEqual([{ id: albums.pets, title: "Pets" }]);
    expect(byId(ids.dog)).toMatchObject({ width: 9, height: 14, contentType: "image/jpeg" });
    // A name from the uploader never leaves the folder.
    expect(byId(ids.dog).file).toBe(`${ids.dog}-dog_photo.jpg`);
    expect(byId(ids.scan)).toMatchObject({ visibility: "PRIVATE", albums: [] });
    expect(metadata.albums.find((a) => a.id === albums.pets)?.imageIds).toEqual([ids.dog, ids.cat]);
    expect((await readdir(backup())).sort()).toEqual([...metadata.images.map((i) => i.file!), "metadata.json"].sort());
  });

  it("a second run restores only the deleted file and the damaged one, keeping the others untouched", async () => {
    const before = await readMetadata(backup());
    const file = (id: string) => path.join(backup(), before.images.find((i) => i.id === id)!.file!);
    const catTime = (await stat(file(ids.cat))).mtimeMs;
    await unlink(file(ids.dog));
    await truncate(file(ids.scan), 10);
    // What a killed run leaves behind.
    await writeFile(path.join(backup(), `.${path.basename(file(ids.cat))}.part`), "half");

    const result = await cli(["export", "backup", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { downloaded: string[]; unchanged: string[]; failed: unknown[] };
    expect(summary.downloaded.sort()).toEqual([ids.dog, ids.scan].sort());
    expect(summary.unchanged).toEqual([ids.cat]);
    expect(summary.failed).toEqual([]);
    expect((await stat(file(ids.cat))).mtimeMs).toBe(catTime);
    for (const id of [ids.dog, ids.scan])
      expect((await readFile(file(id))).equals(await servedBytes(server.baseUrl, key, id))).toBe(true);
    expect((await readdir(backup())).filter((name) => name.endsWith(".part"))).toEqual([]);
    expect(await readMetadata(backup())).toMatchObject({
      images: before.images.map(({ id, sha256 }) => ({ id, sha256 })),
    });
  });

  it("refuses without a login and asks for the folder", async () => {
    const anonymous = await runCli(["export", "backup"], {
      env: { IMAGEHOST_URL: server.baseUrl, HOME: work },
      cwd: work,
    });
    expect(anonymous.code).toBe(3);
    const usage = await cli(["export"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/takes <dir>/);
  });
});

/**
 * Without a worker an image stays PROCESSING; a second app on the same queue and data directory, started later,
 * is the worker that processes it. So "still processing" is certain here, not a race.
 */
describe("imagehost export with images still processing", () => {
  let server: TestApp;
  let worker: TestApp | undefined;
  let work: string;
  let key: string;
  let id = "";
  const queue = `test-export-${Date.now()}`;
  const env = () => ({ IMAGEHOST_URL: server.baseUrl, IMAGEHOST_API_KEY: key, HOME: work });

  beforeAll(async () => {
    server = await startTestApp({ WORKERS: "0", QUEUE_NAME: queue });
    work = await mkdtemp(path.join(os.tmpdir(), "ih-cli-export-wait-"));
    key = await registerApiKey(server.baseUrl, "cliexportwait");
    const image = await uploadImage(server.baseUrl, key, await makeImage("png", 10, 10), "image/png", {
      filename: "late.png",
      awaitProcessed: false,
    });
    id = image.id;
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("--wait 0 reports the image as still processing (exit 1) and records it without a file", async () => {
    const result = await runCli(["export", "out", "--wait", "0"], { env: env(), cwd: work });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`warning: ${id} (late.png) is still processing`);
    expect(result.stderr).toMatch(/error: 1 images are still processing: run the export again/);
    const metadata = await readMetadata(path.join(work, "out"));
    expect(metadata.images).toMatchObject([{ id, status: "PROCESSING", file: null }]);
  });

  it("otherwise waits until the image is processed, then downloads it", async () => {
    const child = spawn(process.execPath, [CLI_BIN, "export", "out", "--wait", "60"], {
      cwd: work,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const waiting = new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        if (stderr.includes("Waiting up to 60 s")) resolve();
      });
      child.once("close", () => reject(new Error(`exited before waiting: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      await waiting;
      worker = await startTestApp({ QUEUE_NAME: queue, DATA_DIR: server.dataDir });
      await awaitSettled(server.baseUrl, key, id);
      expect(await exited, stderr).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
    expect(stdout).toMatch(/1 downloaded, 0 already complete/);
    const metadata = await readMetadata(path.join(work, "out"));
    expect(metadata.images).toMatchObject([{ id, status: "READY", file: `${id}-late.png` }]);
    const bytes = await readFile(path.join(work, "out", `${id}-late.png`));
    expect(bytes.equals((await fetchPublic(`${server.baseUrl}/image/${id}`)).bytes)).toBe(true);
  }, 90_000);
});
