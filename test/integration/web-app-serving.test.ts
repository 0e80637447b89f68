import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Env, startS3rver, type RunningS3rver } from "../support/s3rver.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

/** The built web app and the playground as the server hands them out: routes, caching, 404s, CSP. */
describe("serving the web app and the playground", () => {
  let dist: string;
  let empty: string;
  let app: TestApp;
  let bare: TestApp;
  let closed: TestApp;
  let base: string;
  let s3: RunningS3rver;
  let s3App: TestApp;

  /** A real app on the run's Redis serving `distDir`, with extra environment. */
  const start = (distDir: string, env: Record<string, string> = {}) => startTestApp(env, { webDistDir: distDir });
  const urlOf = (a: TestApp) => a.baseUrl;

  beforeAll(async () => {
    // A stand-in build: the real one is exercised by the browser tests.
    dist = await mkdtemp(path.join(os.tmpdir(), "ih-test-dist-"));
    empty = await mkdtemp(path.join(os.tmpdir(), "ih-test-nodist-"));
    await mkdir(path.join(dist, "assets"));
    await writeFile(path.join(dist, "index.html"), "<!doctype html><title>app</title>");
    await writeFile(path.join(dist, "playground.html"), "<!doctype html><title>playground</title>");
    await writeFile(path.join(dist, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
    await writeFile(path.join(dist, "assets", "app-Ab12Cd34.js"), "console.log(1)");
    s3 = await startS3rver();
    [app, bare, closed] = await Promise.all([start(dist), start(empty), start(dist, { GRAPHQL_EXPLORER: "false" })]);
    s3App = await start(dist, s3Env(s3));
    base = urlOf(app);
  });
  afterAll(async () => {
    await Promise.all([app?.close(), bare?.close(), closed?.close(), s3App?.close()]);
    await s3?.stop();
    for (const dir of [dist, empty]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string, accept = "text/html,application/xhtml+xml,*/*;q=0.8") =>
    fetch(url, { headers: { accept } });

  it("serves index.html at / and for client-side routes, never cached; hashed assets for a year", async () => {
    for (const route of ["/", "/keys", "/images/abc", "/login"]) {
      const r = await get(`${base}${route}`);
      expect(r.status, route).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/html");
      expect(r.headers.get("cache-control")).toBe("no-cache");
      expect(await r.text()).toContain("<title>app</title>");
    }
    const asset = await get(`${base}/assets/app-Ab12Cd34.js`, "*/*");
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await get(`${base}/favicon.svg`, "*/*")).headers.get("cache-control")).toBe("no-cache");
  });

  // A dead public link (/image/<id>) is the exception: browsers get its HTML status page (test/integration/status-pages.test.ts).
  it("keeps the JSON 404 for API paths, missing assets and non-HTML requests", async () => {
    for (const route of [
      "/api/v1/nope",
      "/files/img/nope",
      "/uploads/x",
      "/health/x",
      "/ready/x",
      "/metrics",
      "/web/nope",
      "/assets/gone-1234.js",
      "/graphql/x",
    ]) {
      const r = await get(`${base}${route}`);
      expect(r.status, route).toBe(404);
      expect(await r.json()).toMatchObject({ error: { code: "not_found" } });
    }
    const json = await get(`${base}/somewhere`, "application/json");
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({ error: { code: "not_found" } });
    // The playground's page is not a file of its own: that path is just another client-side route.
    expect(await (await get(`${base}/playground.html`)).text()).toContain("<title>app</title>");
  });

  it("says in one line how to build the web app when it is not built", async () => {
    const r = await get(`${urlOf(bare)}/`, "*/*");
    expect(r.status).toBe(503);
    const text = await r.text();
    expect(text.trim().split("\n")).toHaveLength(1);
    expect(text).toContain("npm run build:web");
    expect((await get(`${urlOf(bare)}/health`, "*/*")).status).toBe(200);
  });

  it("shows the playground at /graphql to browsers, keeps other GETs for Apollo, and hides it when the explorer is off", async () => {
    const page = await get(`${base}/graphql`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>playground</title>");
    expect(page.headers.get("cache-control")).toBe("no-cache");

    const query = await fetch(`${base}/graphql?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { "apollo-require-preflight": "1" },
    });
    expect(await query.json()).toEqual({ data: { __typename: "Query" } });

    const off = await get(`${urlOf(closed)}/graphql`);
    expect(off.status).toBe(404);
    expect(await off.json()).toMatchObject({ error: { code: "not_found" } });
    const offQuery = await fetch(`${urlOf(closed)}/graphql?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { "apollo-require-preflight": "1" },
    });
    expect(await offQuery.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("sends a CSP that allows our own scripts only, no eval, no third parties, never framed", async () => {
    const csp = (await get(`${base}/`)).headers.get("content-security-policy")!;
    const directives = Object.fromEntries(
      csp
        .split(";")
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(directives["script-src"]).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(csp).not.toContain("'unsafe-eval'");
    expect(directives["frame-ancestors"]).toEqual(["'none'"]);
    expect(directives["object-src"]).toEqual(["'none'"]);
    expect(directives["img-src"]).toEqual(["'self'", "data:", "blob:"]);
    expect(directives["connect-src"]).toEqual(["'self'"]);
    expect(csp).not.toMatch(/\shttps?:(\s|;|$)|\*/);
    // The playground's page gets the same policy.
    expect((await get(`${base}/graphql`)).headers.get("content-security-policy")).toBe(csp);
  });

  it("lets the browser reach the S3 origin for thumbnails and uploads, and nothing else", async () => {
    const csp = (await get(`${urlOf(s3App)}/`)).headers.get("content-security-policy")!;
    expect(csp).toContain(`img-src 'self' data: blob: ${s3.endpoint};`);
    expect(csp).toContain(`connect-src 'self' ${s3.endpoint};`);
  });
});
