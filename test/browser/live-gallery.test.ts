import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { gql } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { waitForSubscribers } from "../support/live.js";
import { signInContext } from "../support/web-session.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { DELETE_IMAGE, uploadImage } from "../support/uploads.js";
import { collectConsoleErrors, launchChromium } from "./chromium.js";

/**
 * Issue 14 in Chromium: every open tab of the web app follows the user's image events (uploads from elsewhere
 * appear, deleted images vanish, an open image page notices its deletion), and GraphiQL runs the subscription.
 */
describe("live web app in Chromium (issue 14)", () => {
  let server: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let key: string;
  let userId: string;
  const redisUrl = inject("redisUrl");

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    server = await startTestApp();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
    // A web session, as the login page makes it; the same user's API key uploads "from another device".
    ({ userId, apiKey: key } = await signInContext(context, server.baseUrl, "livetab", "silver-orchard-breeze-8"));
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const tiles = (page: Page) => page.getByRole("list", { name: "Your images" }).locator(".thumb-name");

  it("shows uploads from elsewhere and drops deleted images in every open tab, and on the image's page", async () => {
    const tabs = [await context.newPage(), await context.newPage()];
    const errors = tabs.flatMap((tab) => collectConsoleErrors(tab));

    for (const tab of tabs) {
      await tab.goto(`${server.baseUrl}/`);
      await tab.getByRole("button", { name: "Log out" }).waitFor();
    }
    // One subscription per tab, both listening (the node shares one Redis subscription between them).
    await expect.poll(() => server.app.live.subscriptionCount).toBe(2);
    await waitForSubscribers(redisUrl, userId);

    const first = await uploadImage(server.baseUrl, key, await makeImage("png", 20, 20), "image/png", {
      filename: "from-phone.png",
    });
    for (const tab of tabs) await expect.poll(() => tiles(tab).allTextContents()).toEqual(["from-phone.png"]);
    const second = await uploadImage(server.baseUrl, key, await makeImage("gif", 10, 10), "image/gif", {
      filename: "second.gif",
    });
    for (const tab of tabs)
      await expect.poll(() => tiles(tab).allTextContents()).toEqual(["second.gif", "from-phone.png"]);

    // One tab shows the image's page; deleting it elsewhere empties that page and the other tab's gallery.
    await tabs[1]!.goto(`${server.baseUrl}/images/${first.id}`);
    await tabs[1]!.getByRole("heading", { name: "from-phone.png" }).waitFor();
    await expect.poll(() => server.app.live.subscriptionCount).toBe(2);
    expect((await gql(server.baseUrl, DELETE_IMAGE, { id: first.id }, key)).data).toEqual({ deleteImage: true });
    await expect.poll(() => tiles(tabs[0]!).allTextContents()).toEqual(["second.gif"]);
    await tabs[1]!.getByRole("heading", { name: "Image not found" }).waitFor({ timeout: 10_000 });
    expect(second.id).not.toBe(first.id);
    expect(errors).toEqual([]);
    for (const tab of tabs) await tab.close();
  }, 90_000);

  it("runs the imageEvents subscription in GraphiQL at /graphql", async () => {
    const playground = await context.newPage();
    const errors = collectConsoleErrors(playground);
    await playground.goto(`${server.baseUrl}/graphql`);
    const run = playground.getByRole("button", { name: /Execute query/ });
    await run.waitFor({ timeout: 20_000 });
    const editor = playground.locator(".graphiql-query-editor .monaco-editor").first();
    await editor.click();
    await playground.keyboard.press("ControlOrMeta+A");
    await playground.keyboard.press("Delete");
    await playground.keyboard.insertText("subscription { imageEvents { kind image { filename } } }");
    await run.click();
    await expect.poll(() => server.app.live.subscriptionCount).toBe(1);
    await uploadImage(server.baseUrl, key, await makeImage("png", 8, 8), "image/png", { filename: "in-graphiql.png" });
    const response = () =>
      playground
        .locator(".graphiql-response")
        .innerText()
        .then((text) => text.replace(/\s+/g, " "));
    await expect.poll(response, { timeout: 10_000 }).toContain(`"filename": "in-graphiql.png"`);
    expect(errors).toEqual([]);
    await playground.close();
  });
});
