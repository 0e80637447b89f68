/**
 * Issue 18 point 7: every file of the web build is served precompressed (brotli or gzip, chosen by
 * Accept-Encoding, `Vary: Accept-Encoding`), hashed assets cached for a year, the HTML pages revalidated each time,
 * and the bytes a client decompresses are exactly the built file.
 */
import http from "node:http";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { DEFAULT_WEB_DIST_DIR } from "../../server/http/web-app.routes.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** node:http, not fetch: fetch decompresses on its own, and the test must see the bytes as sent. */
function getRaw(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on("error", reject);
      })
      .on("error", reject);
  });
}

function decode(response: RawResponse): Buffer {
  const encoding = response.headers["content-encoding"];
  if (encoding === "br") return brotliDecompressSync(response.body);
  if (encoding === "gzip") return gunzipSync(response.body);
  return response.body;
}

/** Where each built file is served: the pages at their routes, everything else at its own path. */
function urlPathOf(file: string): string {
  if (file === "index.html") return "/";
  if (file === "playground.html") return "/graphql";
  return `/${file.split(path.sep).join("/")}`;
}

describe("static assets of the web app", () => {
  let app: TestApp;
  let files: string[];

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    app = await startTestApp();
    files = (await readdir(DEFAULT_WEB_DIST_DIR, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && !e.name.startsWith(".") && !/\.(br|gz)$/.test(e.name))
      .map((e) => path.relative(DEFAULT_WEB_DIST_DIR, path.join(e.parentPath, e.name)));
  });
  afterAll(async () => {
    await app?.close();
  });

  it("serves every file as brotli, gzip or plain by Accept-Encoding; decoded bytes equal the build", async () => {
    expect(files).toEqual(expect.arrayContaining(["index.html", "playground.html"]));
    expect(files.filter((f) => f.startsWith(`assets${path.sep}`)).length).toBeGreaterThan(3);
    const accepts: [acceptEncoding: string, expected: string | undefined][] = [
      ["identity", undefined],
      ["gzip, deflate, br, zstd", "br"],
      ["br", "br"],
      ["gzip", "gzip"],
      ["gzip;q=1, br;q=0", "gzip"],
    ];
    for (const file of files) {
      const original = await readFile(path.join(DEFAULT_WEB_DIST_DIR, file));
      const url = `${app.baseUrl}${urlPathOf(file)}`;
      let plainType: string | undefined;
      for (const [acceptEncoding, expected] of accepts) {
        const response = await getRaw(url, { accept: "text/html,*/*", "accept-encoding": acceptEncoding });
        const what = `${file} with Accept-Encoding: ${acceptEncoding}`;
        expect(response.status, what).toBe(200);
        expect(response.headers["content-encoding"], what).toBe(expected);
        expect(response.headers.vary ?? "", what).toMatch(/\baccept-encoding\b/i);
        expect(decode(response).equals(original), what).toBe(true);
        if (expected === undefined) plainType = response.headers["content-type"];
        else if (original.length > 1024) expect(response.body.length, what).toBeLessThan(original.length);
        // The compressed copy is typed as the file it stands for, not as .br/.gz.
        if (expected !== undefined) expect(response.headers["content-type"], what).toBe(plainType);
        const cache = response.headers["cache-control"];
        if (file.startsWith(`assets${path.sep}`)) expect(cache, what).toBe("public, max-age=31536000, immutable");
        else expect(cache, what).toBe("no-cache");
      }
      expect(plainType, file).toBeDefined();
    }
  });

  it("the compressed copies are not served by their own names", async () => {
    const asset = files.find((f) => f.endsWith(".js"))!;
    for (const suffix of [".br", ".gz"]) {
      const response = await getRaw(`${app.baseUrl}/${asset}${suffix}`, { "accept-encoding": "identity" });
      expect(response.status, `${asset}${suffix}`).toBe(404);
    }
    // The playground is served at /graphql only: its copies by name are client-side routes, the app's index.html.
    const index = await readFile(path.join(DEFAULT_WEB_DIST_DIR, "index.html"));
    for (const suffix of [".br", ".gz"]) {
      const response = await getRaw(`${app.baseUrl}/playground.html${suffix}`, { accept: "text/html" });
      expect(decode(response).equals(index), `playground.html${suffix}`).toBe(true);
    }
  });
});
