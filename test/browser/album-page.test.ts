/**
 * Issue 17: the public album page /a/<id> in a real Chromium, without logging in, at desktop and phone width:
 * title, description, the thumbnails (a private image among them: the album grants it), the viewer with
 * previous/next by button and keyboard. A share link of a private album opens the same page.
 */
import { type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { ok, uploadPng } from "../support/sharing.js";
import { registerApiKey } from "../support/upload-setups.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { collectConsoleErrors, launchChromium, scrollsSideways } from "./chromium.js";

const CREATE_ALBUM = `mutation($input: CreateAlbumInput!) { createAlbum(input: $input) { id url } }`;
const ADD = `mutation($a: ID!, $ids: [ID!]!) { addToAlbum(albumId: $a, imageIds: $ids) { id } }`;
const SHARE = `mutation($input: CreateShareLinkInput!) { createShareLink(input: $input) { url } }`;

describe("album page in Chromium (issue 17)", () => {
  let server: TestApp;
  let browser: Browser;
  let publicAlbum: { id: string; url: string };
  let privateLink: string;
  let names: string[];

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    server = await startTestApp();
    browser = await launchChromium();
    const key = await registerApiKey(server.baseUrl, "albpage");
    const images = [
      await uploadPng(server.baseUrl, key, "PRIVATE"),
      await uploadPng(server.baseUrl, key, "PUBLIC"),
      await uploadPng(server.baseUrl, key, "PUBLIC"),
    ];
    names = images.map((i) => i.filename);
    const ids = images.map((i) => i.id);
    publicAlbum = (
      await ok<{ createAlbum: { id: string; url: string } }>(
        server.baseUrl,
        CREATE_ALBUM,
        { input: { title: "Summer <b>2026</b>", description: "Sea\nand sand", visibility: "PUBLIC" } },
        key,
      )
    ).createAlbum;
    await ok(server.baseUrl, ADD, { a: publicAlbum.id, ids }, key);
    const secret = (
      await ok<{ createAlbum: { id: string } }>(server.baseUrl, CREATE_ALBUM, { input: { title: "Just us" } }, key)
    ).createAlbum;
    await ok(server.baseUrl, ADD, { a: secret.id, ids: [ids[0]] }, key);
    privateLink = (
      await ok<{ createShareLink: { url: string } }>(server.baseUrl, SHARE, { input: { albumId: secret.id } }, key)
    ).createShareLink.url;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const loadedThumbnails = (page: Page) =>
    page.$$eval(".album-grid img", (imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length);

  for (const [label, viewport] of [
    ["desktop", { width: 1280, height: 860 }],
    ["phone", { width: 375, height: 812 }],
  ] as const) {
    it(`shows the album and steps through it, logged out, at ${label} width`, async () => {
      const context = await browser.newContext({ viewport, locale: "en-US" });
      try {
        const page = await context.newPage();
        const errors = collectConsoleErrors(page);
        await page.goto(publicAlbum.url);
        await page.getByRole("heading", { name: "Summer <b>2026</b>" }).waitFor();
        expect(await page.locator(".album-description").innerText()).toBe("Sea\nand sand");
        await expect.poll(() => loadedThumbnails(page), { timeout: 10_000 }).toBe(3);
        expect(await scrollsSideways(page)).toBe(false);

        await page
          .getByRole("button", { name: `Open ${names[0]}` })
          .first()
          .click();
        const viewer = page.locator("dialog.viewer");
        await viewer.waitFor();
        await expect.poll(() => viewer.locator("figcaption").innerText()).toContain("1 of 3");
        await page.getByRole("button", { name: "Next image" }).click();
        await expect.poll(() => viewer.locator("figcaption").innerText()).toContain("2 of 3");
        await page.keyboard.press("ArrowRight");
        await expect.poll(() => viewer.locator("figcaption").innerText()).toContain("3 of 3");
        await page.keyboard.press("ArrowRight");
        await expect.poll(() => viewer.locator("figcaption").innerText()).toContain("1 of 3");
        await page.keyboard.press("ArrowLeft");
        await expect.poll(() => viewer.locator("figcaption").innerText()).toContain("3 of 3");
        await expect
          .poll(() => viewer.locator("img").evaluate((i) => (i as HTMLImageElement).naturalWidth))
          .toBeGreaterThan(0);
        expect(await scrollsSideways(page)).toBe(false);
        await page.keyboard.press("Escape");
        await expect.poll(() => viewer.count()).toBe(0);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it("a share link of a private album opens its page; the bare album address does not", async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
    try {
      const page = await context.newPage();
      await page.goto(privateLink);
      await page.getByRole("heading", { name: "Just us" }).waitFor();
      await expect.poll(() => loadedThumbnails(page), { timeout: 10_000 }).toBe(1);
      // Without the grant the same address shows nothing: the album is private.
      await page.goto(`${server.baseUrl}${new URL(page.url()).pathname}`);
      await page.getByRole("heading", { name: "Album not found" }).waitFor();
    } finally {
      await context.close();
    }
  });
});
