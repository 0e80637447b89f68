import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import type { Browser, BrowserContext, Page, Route } from "playwright-core";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { QUEUE_PREFIX } from "../../server/queue/bullmq-job-queue.js";
import { gql } from "../support/graphql.js";
import { makeImage, pngHeaderClaiming } from "../support/images.js";
import { waitForSubscribers } from "../support/live.js";
import { signInContext } from "../support/web-session.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { PROCESSING_DEADLINE_MS, uploadImage } from "../support/uploads.js";
import { collectConsoleErrors, launchChromium, scrollsSideways } from "./chromium.js";

const SCREENSHOT_DIR = fileURLToPath(new URL("../e2e/screenshots/", import.meta.url));
mkdirSync(SCREENSHOT_DIR, { recursive: true });

/**
 * Issue 13 (web side) and issue 14 in Chromium: gallery tiles load the 320-px WebP thumbnail with the ThumbHash
 * painted until it arrives, a PROCESSING image loads nothing (its link would answer 503) and turns ready live,
 * and a FAILED image says why, in the gallery and on its page. Albums do the same: the public album page loads
 * thumbnails and shows a PROCESSING image's state until it is ready, the album editor follows it live.
 */
describe("gallery thumbnails and pipeline states in Chromium (issues 13, 14)", () => {
  const queueName = `browser-thumbs-${Date.now().toString(36)}`;
  const redisUrl = inject("redisUrl");
  let server: TestApp;
  let queue: Queue;
  let browser: Browser;
  let context: BrowserContext;
  let key: string;
  let userId: string;

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    server = await startTestApp({ QUEUE_NAME: queueName });
    // Pausing the server's queue holds new images in PROCESSING for as long as a test needs.
    queue = new Queue(queueName, { connection: { url: redisUrl }, prefix: QUEUE_PREFIX });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
    ({ userId, apiKey: key } = await signInContext(context, server.baseUrl, "thumbs", "amber-lantern-quarry-6"));
  }, 180_000);
  afterEach(async () => {
    // A failed test must not leave its tabs subscribed: the next one counts subscriptions.
    for (const page of context.pages()) await page.close();
  });
  afterAll(async () => {
    await queue?.resume();
    await queue?.close();
    await browser?.close();
    await server?.close();
  });

  const tile = (page: Page, filename: string) =>
    page.getByRole("list", { name: "Your images" }).locator("li.thumb").filter({ hasText: filename });

  /** Paths of every request the page makes for public links (`/image/<id>`, `/image/<id>/w320`…). */
  function linkRequests(page: Page): string[] {
    const paths: string[] = [];
    page.on("request", (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith("/image/")) paths.push(pathname);
    });
    return paths;
  }
  const requestsFor = (paths: string[], imageId: string) => paths.filter((p) => p.split("/")[2] === imageId);

  /** A tab on `path` whose live subscription is listening (events published before that are not replayed). */
  async function openLive(path: string, tabs: number): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}${path}`);
    await page.getByRole("button", { name: "Log out" }).waitFor();
    await expect.poll(() => server.app.live.subscriptionCount).toBe(tabs);
    await waitForSubscribers(redisUrl, userId);
    return page;
  }

  it("loads the 320-px WebP thumbnail through srcset, painting the ThumbHash until it has loaded", async () => {
    const image = await uploadImage(server.baseUrl, key, await makeImage("png", 1600, 1200), "image/png", {
      filename: "wide.png",
    });
    const page = await context.newPage();
    const errors = collectConsoleErrors(page);
    const requests = linkRequests(page);
    // Hold the thumbnail back so the test sees the tile before it has loaded.
    const held: Route[] = [];
    let released = false;
    await page.route(/\/image\/[^/?]+\/w\d+/, (route) => (released ? route.continue() : void held.push(route)));
    await page.goto(`${server.baseUrl}/`);

    const img = tile(page, "wide.png").getByRole("img", { name: "wide.png" });
    await img.waitFor();
    await expect.poll(() => held.length).toBeGreaterThan(0);
    const before = await img.evaluate((el: HTMLImageElement) => ({
      complete: el.complete && el.naturalWidth > 0,
      background: el.style.backgroundImage,
      srcset: el.getAttribute("srcset"),
      sizes: el.getAttribute("sizes"),
      src: el.getAttribute("src"),
    }));
    expect(before.complete).toBe(false);
    expect(before.background).toMatch(/^url\("data:image\/png;base64,[A-Za-z0-9+/=]+"\)$/);
    const link = `${server.baseUrl}/image/${image.id}`;
    expect(before.srcset).toBe(`${link}/w320 320w, ${link}/w1280 1280w`);
    expect(before.sizes).toBeTruthy();
    expect(before.src).toBe(`${link}/w320`);

    const thumbnail = page.waitForResponse((r) => r.request().redirectedFrom()?.url() === `${link}/w320`);
    released = true;
    for (const route of held) await route.continue();
    const response = await thumbnail;
    expect(response.headers()["content-type"]).toBe("image/webp");
    expect(await sharp(await response.body()).metadata()).toMatchObject({ format: "webp", width: 320, height: 240 });
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true);
    // Not naturalWidth: with w descriptors it is scaled to the density the browser picked.
    expect(await img.evaluate((el: HTMLImageElement) => el.currentSrc)).toBe(`${link}/w320`);
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.style.backgroundImage)).toBe("");
    // The thumbnail only: neither the full image nor the big thumbnail.
    expect(requestsFor(requests, image.id)).toEqual([`/image/${image.id}/w320`]);

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await scrollsSideways(page)).toBe(false);
    await page.screenshot({ path: `${SCREENSHOT_DIR}gallery-thumbnails-phone.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a processing tile and page that load nothing, and turns both ready live, without a reload", async () => {
    const gallery = await openLive("/", 1);
    const errors = collectConsoleErrors(gallery);
    const requests = linkRequests(gallery);
    await gallery.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    await queue.pause();
    try {
      const image = await uploadImage(server.baseUrl, key, await makeImage("png", 640, 480), "image/png", {
        filename: "slow.png",
        awaitProcessed: false,
      });
      const processing = tile(gallery, "slow.png");
      await expect.poll(() => processing.getAttribute("data-status")).toBe("processing");
      expect(await processing.locator(".thumb-state").textContent()).toBe("Processing…");
      expect(await processing.getByRole("img").count()).toBe(0);
      await gallery.screenshot({ path: `${SCREENSHOT_DIR}gallery-processing.png` });

      const imagePage = await openLive(`/images/${image.id}`, 2);
      errors.push(...collectConsoleErrors(imagePage));
      const pageRequests = linkRequests(imagePage);
      await imagePage.getByRole("heading", { name: "slow.png" }).waitFor();
      expect(await imagePage.locator("figure").getAttribute("data-status")).toBe("processing");
      expect(await imagePage.getByRole("status").filter({ hasText: "Processing…" }).count()).toBe(1);
      expect(await imagePage.getByRole("link", { name: "Open original" }).count()).toBe(0);
      expect(requestsFor([...requests, ...pageRequests], image.id)).toEqual([]);

      await queue.resume();
      await expect
        .poll(() => processing.getAttribute("data-status"), { timeout: PROCESSING_DEADLINE_MS })
        .toBe("ready");
      await expect
        .poll(() =>
          processing
            .getByRole("img")
            .evaluate((el: HTMLImageElement) => (el.complete && el.naturalWidth > 0 ? el.currentSrc : "")),
        )
        .toBe(`${server.baseUrl}/image/${image.id}/w320`);
      const figure = imagePage.locator("figure").getByRole("img", { name: "slow.png" });
      await expect
        .poll(() => figure.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : 0)), {
          timeout: PROCESSING_DEADLINE_MS,
        })
        .toBe(640);
      expect(await imagePage.getByRole("link", { name: "Open original" }).count()).toBe(1);
      expect(requestsFor(requests, image.id)).toEqual([`/image/${image.id}/w320`]);
      expect(requestsFor(pageRequests, image.id)).toEqual([`/image/${image.id}`]);
      expect(await gallery.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      expect(errors).toEqual([]);
      await imagePage.close();
    } finally {
      await queue.resume();
    }
    await gallery.close();
  });

  it("turns a tile FAILED live with the reason, requesting nothing, and the image's page says why", async () => {
    const page = await openLive("/", 1);
    const errors = collectConsoleErrors(page);
    const requests = linkRequests(page);
    // Valid PNG magic and header, no pixels: accepted at upload, undecodable in the worker.
    const image = await uploadImage(server.baseUrl, key, pngHeaderClaiming(50, 40), "image/png", {
      filename: "poison.png",
      awaitProcessed: false,
    });
    const failed = tile(page, "poison.png");
    await expect.poll(() => failed.getAttribute("data-status"), { timeout: PROCESSING_DEADLINE_MS }).toBe("failed");
    const { data } = await gql<{ image: { status: string; failureReason: string } }>(
      server.baseUrl,
      `query($id: ID!) { image(id: $id) { status failureReason } }`,
      { id: image.id },
      key,
    );
    expect(data!.image.status).toBe("FAILED");
    const reason = data!.image.failureReason;
    expect(reason).toMatch(/could not be decoded/);
    const state = failed.locator(".thumb-state");
    expect(await state.getAttribute("title")).toBe(reason);
    expect(await state.textContent()).toBe(`Failed${reason}`);
    expect(await failed.getByRole("img").count()).toBe(0);

    await failed.getByRole("link").click();
    await page.getByRole("heading", { name: "poison.png" }).waitFor();
    const figure = page.locator("figure");
    expect(await figure.getAttribute("data-status")).toBe("failed");
    expect(await figure.textContent()).toContain(`Processing failed${reason}`);
    expect(await page.getByRole("link", { name: "Open original" }).count()).toBe(0);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await scrollsSideways(page)).toBe(false);
    await page.screenshot({ path: `${SCREENSHOT_DIR}image-failed-phone.png`, fullPage: true });
    await page.getByRole("link", { name: "← All images" }).click();
    await failed.waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await page.screenshot({ path: `${SCREENSHOT_DIR}gallery-failed-phone.png`, fullPage: true });
    expect(requestsFor(requests, image.id)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("albums follow the pipeline: the public page loads thumbnails, shows a processing tile and asks again until it is ready; the editor turns it ready live", async () => {
    const ready = await uploadImage(server.baseUrl, key, await makeImage("png", 640, 480), "image/png", {
      filename: "ready.png",
    });
    await queue.pause();
    try {
      const slow = await uploadImage(server.baseUrl, key, await makeImage("png", 64, 48), "image/png", {
        filename: "later.png",
        awaitProcessed: false,
      });
      const created = await gql<{ createAlbum: { id: string } }>(
        server.baseUrl,
        `mutation { createAlbum(input: { title: "Trip", visibility: PUBLIC }) { id } }`,
        {},
        key,
      );
      const albumId = created.data!.createAlbum.id;
      const added = await gql(
        server.baseUrl,
        `mutation($a: ID!, $ids: [ID!]!) { addToAlbum(albumId: $a, imageIds: $ids) { id } }`,
        { a: albumId, ids: [ready.id, slow.id] },
        key,
      );
      expect(added.errors).toBeUndefined();

      const publicPage = await context.newPage();
      const errors = collectConsoleErrors(publicPage);
      const requests = linkRequests(publicPage);
      await publicPage.goto(`${server.baseUrl}/a/${albumId}`);
      const grid = publicPage.getByRole("list", { name: "Images" });
      const readyImage = grid.locator('li.thumb[data-status="ready"]').getByRole("img");
      await expect
        .poll(() =>
          readyImage.evaluate((el: HTMLImageElement) => (el.complete && el.naturalWidth > 0 ? el.currentSrc : "")),
        )
        .toBe(`${server.baseUrl}/image/${ready.id}/w320`);
      expect(await grid.locator('li.thumb[data-status="processing"]').textContent()).toBe("Processing…");
      expect(await grid.getByRole("button").count()).toBe(1); // only a READY image opens the viewer
      expect(requestsFor(requests, ready.id)).toEqual([`/image/${ready.id}/w320`]);
      expect(requestsFor(requests, slow.id)).toEqual([]);

      const editor = await openLive(`/albums/${albumId}`, 1);
      const item = editor.getByRole("list", { name: "Images in this album" }).getByRole("listitem");
      const slowItem = item.filter({ hasText: "later.png" });
      await expect.poll(() => slowItem.locator(".small-thumb-state").textContent()).toBe("Processing…");
      await queue.resume();
      await expect.poll(() => slowItem.locator("img.small-thumb").count(), { timeout: PROCESSING_DEADLINE_MS }).toBe(1);
      // The public page has no subscription (visitors are not logged in): it asks again while a tile is processing.
      await expect
        .poll(() => grid.locator('li.thumb[data-status="ready"]').count(), { timeout: PROCESSING_DEADLINE_MS })
        .toBe(2);
      expect(errors).toEqual([]);
      await publicPage.close();
    } finally {
      await queue.resume();
    }
  });
});
