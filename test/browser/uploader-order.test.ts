/**
 * Issue 18 point 9: the upload list puts the newest batch on top (each batch in the order picked), shows a small
 * preview per row from an object URL that is revoked once drawn, and records a batch's images in the order picked,
 * so the gallery follows it even when a later file finishes first.
 */
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { collectConsoleErrors, launchChromium } from "./chromium.js";

const PASSWORD = "saffron-ladder-comet-2";
const MY_FILENAMES = `{ myImages(first: 20) { nodes { id filename } } }`;

describe("upload list order and previews", () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let key: string;

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    [server, browser] = await Promise.all([startTestApp(), launchChromium()]);
    const username = uniqueUsername("order");
    const registered = await gql<{ register: { apiKey: string } }>(
      server.baseUrl,
      `mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey } }`,
      { u: username, p: PASSWORD },
    );
    key = registered.data!.register.apiKey;
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: "en-US" });
    const session = await context.request.post(`${server.baseUrl}/web/session`, {
      headers: { origin: server.baseUrl },
      data: { username, password: PASSWORD },
    });
    expect(session.status()).toBe(200);
    page = await context.newPage();
    errors = collectConsoleErrors(page);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const rows = () => page.getByRole("list", { name: "Uploads" }).getByRole("listitem");
  const rowNames = () => rows().locator(".upload-name").allInnerTexts();
  const rowStatus = (name: string) => rows().filter({ hasText: name }).getAttribute("data-status");

  it("records a batch in the order picked even when the first file finishes last", async () => {
    await page.goto(`${server.baseUrl}/`);
    await page.getByRole("button", { name: "Upload", exact: true }).waitFor();

    // The first file picked is held at the proxy of this test until both later ones have been sent and are
    // waiting (or, without ordering, recorded): it finishes last.
    const first = await sharp({ create: { width: 90, height: 60, channels: 3, background: "#c03030" } })
      .png()
      .toBuffer();
    const files = [
      { name: "a-first.png", mimeType: "image/png", buffer: first },
      { name: "b-second.png", mimeType: "image/png", buffer: await makeImage("png", 20, 20) },
      { name: "c-third.png", mimeType: "image/png", buffer: await makeImage("png", 30, 10) },
    ];
    let held = 0;
    await page.route(`${server.baseUrl}/uploads/**`, async (route) => {
      if (route.request().postDataBuffer()?.length !== first.length) return route.continue();
      held += 1;
      const sentOrRecorded = async () => {
        const states = await Promise.all(["b-second.png", "c-third.png"].map(rowStatus));
        return states.every((s) => s === "verifying" || s === "done");
      };
      await expect.poll(sentOrRecorded, { timeout: 15_000 }).toBe(true);
      return route.continue();
    });

    await page.locator('input[type="file"]').setInputFiles(files);
    expect(await rowNames()).toEqual(["a-first.png", "b-second.png", "c-third.png"]);
    for (const file of files) await expect.poll(() => rowStatus(file.name), { timeout: 20_000 }).toBe("done");
    expect(held).toBe(1);

    // Recorded a, then b, then c: the gallery (newest first) lists them c, b, a.
    const listed = await gql<{ myImages: { nodes: { id: string; filename: string }[] } }>(
      server.baseUrl,
      MY_FILENAMES,
      {},
      key,
    );
    const nodes = listed.data!.myImages.nodes;
    expect(nodes.map((n) => n.filename)).toEqual(["c-third.png", "b-second.png", "a-first.png"]);
    const gallery = page.getByRole("list", { name: "Your images" });
    await expect.poll(() => gallery.getByRole("listitem").count()).toBe(3);
    const hrefs = await gallery
      .locator('a[href^="/images/"]')
      .evaluateAll((links) => [...new Set(links.map((link) => link.getAttribute("href")))]);
    expect(hrefs).toEqual(nodes.map((n) => `/images/${n.id}`));
    await page.unroute(`${server.baseUrl}/uploads/**`);
  });

  it("puts the newest batch on top, each row with a preview whose object URL is revoked once drawn", async () => {
    const later = [
      { name: "d-later.png", mimeType: "image/png", buffer: await makeImage("png", 16, 16) },
      { name: "e-later.png", mimeType: "image/png", buffer: await makeImage("png", 18, 12) },
    ];
    await page.locator('input[type="file"]').setInputFiles(later);
    await expect.poll(rowNames).toEqual(["d-later.png", "e-later.png", "a-first.png", "b-second.png", "c-third.png"]);
    for (const file of later) await expect.poll(() => rowStatus(file.name), { timeout: 20_000 }).toBe("done");

    const previews = rows().locator("img.upload-preview");
    expect(await previews.count()).toBe(5);
    await expect
      .poll(() =>
        previews.evaluateAll((imgs) => (imgs as HTMLImageElement[]).map((img) => img.complete && img.naturalWidth)),
      )
      .toEqual([16, 18, 90, 20, 30]);
    const sources = await previews.evaluateAll((imgs) => (imgs as HTMLImageElement[]).map((img) => img.src));
    expect(sources.every((src) => src.startsWith("blob:"))).toBe(true);
    expect(errors).toEqual([]);
    // Drawn, then revoked: the pictures stay on screen, the URLs no longer lead to the files (each failed fetch
    // logs an error of its own, expected here).
    const stillOpen = await page.evaluate(
      (urls) =>
        Promise.all(
          urls.map((url) =>
            fetch(url).then(
              () => url,
              () => null,
            ),
          ),
        ),
      sources,
    );
    expect(stillOpen.filter((url) => url !== null)).toEqual([]);
  });
});
