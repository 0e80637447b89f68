import type { FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prefersHtml, renderStatusPage } from "../../server/http/status-page.js";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { DELETE_IMAGE, uploadImage } from "../support/uploads.js";

/** What Chromium and Firefox send for a top-level navigation. */
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

const withAccept = (accept?: string) => ({ headers: accept === undefined ? {} : { accept } }) as FastifyRequest;

describe("status pages: the HTML-or-JSON rule", () => {
  it.each([
    [BROWSER_ACCEPT, true],
    ["text/html", true],
    ["application/xhtml+xml", true],
    ["TEXT/HTML; q=0.5", true],
    [undefined, false],
    ["*/*", false],
    ["application/json", false],
    ["application/json, text/plain, */*", false],
    ["application/json, text/html;q=0.9", false],
    ["text/html;q=0", false],
    ["image/avif,image/webp,*/*", false],
  ])("Accept %s → HTML %s", (accept, html) => {
    expect(prefersHtml(withAccept(accept))).toBe(html);
  });

  it("escapes title and message", () => {
    const page = renderStatusPage(404, { title: `<script>x</script>`, message: `"a" & 'b' <img src=x onerror=y>` });
    expect(page).not.toContain("<script>x");
    expect(page).not.toContain("<img");
    expect(page).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect(page).toContain("&quot;a&quot; &amp; &#39;b&#39; &lt;img src=x onerror=y&gt;");
    expect(page).toMatch(/<meta name="viewport"/);
  });
});

/** Issue 18 point 6: a dead, deleted or malformed public link shows a page in a browser, JSON to API clients. */
describe("status pages: dead public links", () => {
  let server: TestApp;
  let key: string;
  beforeAll(async () => {
    server = await startTestApp();
    const registered = await gql<{ register: { apiKey: string } }>(
      server.baseUrl,
      `mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey } }`,
      { u: uniqueUsername("pages"), p: "correct horse battery staple" },
    );
    key = registered.data!.register.apiKey;
  });
  afterAll(async () => {
    await server?.close();
  });

  const open = (path: string, accept?: string) =>
    fetch(`${server.baseUrl}${path}`, { redirect: "manual", headers: accept ? { accept } : {} });

  it("answers a deleted image's link with an HTML 404 page in a browser and JSON to an API client", async () => {
    const image = await uploadImage(server.baseUrl, key, await makeImage("png"), "image/png");
    const path = new URL(image.url).pathname;
    const live = await open(path, BROWSER_ACCEPT);
    expect(live.status).toBe(302);
    const deleted = await gql(server.baseUrl, DELETE_IMAGE, { id: image.id }, key);
    expect(deleted.errors).toBeUndefined();

    for (const link of [path, `/api/v1/image/${image.id}`]) {
      const page = await open(link, BROWSER_ACCEPT);
      expect(page.status).toBe(404);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(page.headers.get("cache-control")).toBe("no-store");
      expect(page.headers.get("vary")).toMatch(/accept/i);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      const html = await page.text();
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain("<h1>Image not found</h1>");
      expect(html).not.toContain('"error"');

      for (const accept of [undefined, "*/*", "application/json"]) {
        const api = await open(link, accept);
        expect(api.status).toBe(404);
        expect(api.headers.get("content-type")).toMatch(/^application\/json/);
        expect(((await api.json()) as { error: { code: string } }).error.code).toBe("not_found");
      }
    }
  });

  it.each([
    "/image/never-existed-0123456789ab",
    "/image/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    `/image/${"x".repeat(5000)}`,
  ])("answers the unknown or malformed link %s with the page, never echoing the id", async (path) => {
    const page = await open(path, BROWSER_ACCEPT);
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).toContain("Image not found");
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("never-existed");
    expect(html).not.toContain("xxxxxxxx");
  });

  it("answers HEAD from a browser with the page's status and type, without a body", async () => {
    const head = await fetch(`${server.baseUrl}/image/missing-id-000000000000`, {
      method: "HEAD",
      headers: { accept: BROWSER_ACCEPT },
    });
    expect(head.status).toBe(404);
    expect(head.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await head.text()).toBe("");
  });
});
