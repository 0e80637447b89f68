import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, cliAgainstServer } from "../support/cli-server.js";
import { uniqueUsername } from "../support/graphql.js";
import type { TestApp } from "../support/test-app.js";
import { SVG, makeImage, expectSamePicture } from "../support/images.js";
import { fetchPublic } from "../support/uploads.js";
import { expectOneLineError, runCli } from "./run-cli.js";

/**
 * `imagehost upload`, `ls`, `open` and `rm` end to end (README.md "Command-line client", see cli.test.ts), on both
 * storage drivers, for one user logged in before the first test; the steps build on each other in order.
 */

interface ImageJson {
  id: string;
  url: string;
  filename: string;
  contentType: string;
  size: number;
}

describe.each(["local", "s3"] as const)("imagehost CLI with the %s driver", (driver) => {
  const harness = cliAgainstServer(driver);
  const { cli } = harness;
  let server: TestApp;
  let home: string;
  const username = uniqueUsername(`cli${driver}`);
  const files: Record<string, Buffer> = {};
  let uploaded: ImageJson[] = [];

  beforeAll(async () => {
    ({ server, home } = harness);
    const registered = await cli(["register", "--username", username, "--password-stdin"], { input: `${PASSWORD}\n` });
    expect(registered.code, registered.stderr).toBe(0);
    files["cat.png"] = await makeImage("png", 12, 8);
    files["dog.jpg"] = await makeImage("jpeg", 10, 10);
    files["pics/a.webp"] = await makeImage("webp", 4, 4);
    files["pics/b.gif"] = await makeImage("gif", 3, 3);
    // An SVG renamed .png and a text file: refused before anything is sent.
    files["evil.png"] = SVG;
    files["notes.txt"] = Buffer.from("not an image\n");
    for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(harness.work, name), bytes);
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
});
