import { Queue } from "bullmq";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { QUEUE_PREFIX } from "../../server/queue/bullmq-job-queue.js";
import { makeImage } from "../support/images.js";
import { ok } from "../support/sharing.js";
import { registerApiKey } from "../support/upload-setups.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { PROCESSING_DEADLINE_MS, uploadImage } from "../support/uploads.js";
import { collectConsoleErrors, launchChromium } from "./chromium.js";

/** The web app's Album operation asks for this many images at a time (client/operations/albums.graphql). */
const PAGE_SIZE = 50;
const UPLOADS_AT_ONCE = 8;

/**
 * The public album page beyond its first page, in Chromium, logged out: "Show more" adds the next page, and an
 * image still being processed there turns ready without a reload, as it does on the first page (the page asks
 * again for every page it shows while one of them holds a PROCESSING image).
 */
describe("album page: later pages (Chromium)", () => {
  const queueName = `browser-album-pages-${Date.now().toString(36)}`;
  let server: TestApp;
  let queue: Queue;
  let browser: Browser;
  let albumId: string;
  let lastName: string;

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    server = await startTestApp({ QUEUE_NAME: queueName });
    // Pausing the server's queue holds the last image in PROCESSING for as long as the test needs.
    queue = new Queue(queueName, { connection: { url: inject("redisUrl") }, prefix: QUEUE_PREFIX });
    browser = await launchChromium();
    const key = await registerApiKey(server.baseUrl, "albpages");
    const bytes = await makeImage("png", 8, 6);
    const ready: string[] = [];
    for (let start = 0; start < PAGE_SIZE; start += UPLOADS_AT_ONCE) {
      const batch = Array.from({ length: Math.min(UPLOADS_AT_ONCE, PAGE_SIZE - start) }, (_, i) =>
        uploadImage(server.baseUrl, key, bytes, "image/png", { filename: `ready-${start + i}.png` }),
      );
      ready.push(...(await Promise.all(batch)).map((image) => image.id));
    }
    await queue.pause();
    lastName = "last-one.png";
    const last = await uploadImage(server.baseUrl, key, bytes, "image/png", {
      filename: lastName,
      awaitProcessed: false,
    });
    albumId = (
      await ok<{ createAlbum: { id: string } }>(
        server.baseUrl,
        `mutation { createAlbum(input: { title: "Long trip", visibility: PUBLIC }) { id } }`,
        {},
        key,
      )
    ).createAlbum.id;
    // Album order is the order added: the processing image is the first of the second page.
    await ok(
      server.baseUrl,
      `mutation($a: ID!, $ids: [ID!]!) { addToAlbum(albumId: $a, imageIds: $ids) { id } }`,
      { a: albumId, ids: [...ready, last.id] },
      key,
    );
  }, 120_000);
  afterAll(async () => {
    await queue?.resume();
    await queue?.close();
    await browser?.close();
    await server?.close();
  });

  it('"Show more" adds the next page, and its processing image turns ready without a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
    try {
      const page = await context.newPage();
      const errors = collectConsoleErrors(page);
      await page.goto(`${server.baseUrl}/a/${albumId}`);
      const grid = page.getByRole("list", { name: "Images" });
      const tiles = grid.locator("li.thumb");
      await expect.poll(() => tiles.count()).toBe(PAGE_SIZE);
      expect(await page.getByText("51 images").count()).toBe(1);

      await page.getByRole("button", { name: "Show more" }).click();
      await expect.poll(() => tiles.count()).toBe(PAGE_SIZE + 1);
      expect(await page.getByRole("button", { name: "Show more" }).count()).toBe(0);
      const last = tiles.nth(PAGE_SIZE);
      expect(await last.getAttribute("data-status")).toBe("processing");
      expect(await last.textContent()).toContain("Processing…");

      await queue.resume();
      await expect.poll(() => last.getAttribute("data-status"), { timeout: PROCESSING_DEADLINE_MS }).toBe("ready");
      // Ready means openable: the viewer steps to it like to any other image of the album.
      await last.getByRole("button", { name: `Open ${lastName}` }).click();
      await expect.poll(() => page.getByRole("dialog", { name: lastName }).count()).toBe(1);
      expect(await tiles.count()).toBe(PAGE_SIZE + 1);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
