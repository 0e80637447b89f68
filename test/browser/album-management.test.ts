/**
 * Issue 17 point 4: album management and share links in the web app, in a real Chromium: create an album, add
 * images with the picker (several at once), reorder them by keyboard and by drag and drop, make an image private
 * with the toggle, create share links from the dialog (a view limit, a revoke), delete the album; and at 390 px
 * nothing scrolls sideways. Every effect is checked on the server (GraphQL, the public links), not only on screen.
 */
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { ok, statusOf } from "../support/sharing.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { type ImageData, uploadImage } from "../support/uploads.js";
import { collectConsoleErrors, launchChromium, scrollsSideways } from "./chromium.js";

const PASSWORD = "amber-lantern-quiet-7";
const ALBUM_ORDER = `query($id: ID!) { album(id: $id) { images { edges { node { id } } } } }`;
const IMAGE_EXISTS = `query($id: ID!) { image(id: $id) { id } }`;

describe("album management and share links in Chromium (issue 17)", () => {
  let server: TestApp;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let key: string;
  let first: ImageData;
  let second: ImageData;
  let albumId = "";

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    server = await startTestApp();
    base = server.baseUrl;
    const username = uniqueUsername("albums");
    key = (
      await ok<{ register: { apiKey: string } }>(
        base,
        `mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey } }`,
        { u: username, p: PASSWORD },
      )
    ).register.apiKey;
    first = await uploadImage(base, key, await makeImage("png", 40, 30), "image/png", { filename: "first.png" });
    second = await uploadImage(base, key, await makeImage("png", 30, 40), "image/png", { filename: "second.png" });

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    page = await context.newPage();
    errors = collectConsoleErrors(page);
    await page.goto(`${base}/login`);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("button", { name: "Log out" }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const albumOrder = async () =>
    (
      await ok<{ album: { images: { edges: { node: { id: string } }[] } } | null }>(
        base,
        ALBUM_ORDER,
        { id: albumId },
        key,
      )
    ).album?.images.edges.map((edge) => edge.node.id) ?? null;
  const orderItems = () => page.getByRole("list", { name: "Images in this album" }).getByRole("listitem");

  it("creates an album from the Albums page", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Albums" }).click();
    await page.getByRole("heading", { name: "New album" }).waitFor();
    await page.getByLabel("Title").fill("Trip to the coast");
    await page.getByLabel("Description (optional)").fill("Two days by the sea");
    await page.getByRole("radio", { name: /^Public/ }).check();
    await page.getByRole("button", { name: "Create album" }).click();
    await page.getByRole("heading", { name: "Trip to the coast", level: 1 }).waitFor();
    albumId = /^\/albums\/([\w-]+)$/.exec(new URL(page.url()).pathname)![1]!;
    const album = await ok<{ album: { title: string; description: string; visibility: string } }>(
      base,
      `query($id: ID!) { album(id: $id) { title description visibility } }`,
      { id: albumId },
      key,
    );
    expect(album.album).toEqual({
      title: "Trip to the coast",
      description: "Two days by the sea",
      visibility: "PUBLIC",
    });
    expect(await albumOrder()).toEqual([]);
  });

  it("adds two images at once through the picker", async () => {
    await page.getByRole("button", { name: "Add images…" }).click();
    const picker = page.getByRole("dialog", { name: "Add images to Trip to the coast" });
    await picker.waitFor();
    // From the keyboard: Space ticks the focused checkbox.
    await picker.getByRole("checkbox", { name: "first.png" }).focus();
    await page.keyboard.press("Space");
    await picker.getByRole("checkbox", { name: "second.png" }).check();
    await expect.poll(() => picker.getByRole("status").innerText()).toContain("2 selected");
    await picker.getByRole("button", { name: "Add 2 images" }).click();
    await expect.poll(() => picker.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Add images…");
    await expect.poll(() => orderItems().count()).toBe(2);
    const order = await albumOrder();
    expect([...order!].sort()).toEqual([first.id, second.id].sort());
    expect(await orderItems().allInnerTexts()).toEqual(
      order!.map((id) => expect.stringContaining(id === first.id ? "first.png" : "second.png")),
    );
  });

  it("reorders by keyboard: Alt+Arrow on an image's button moves it, and the focus stays with it", async () => {
    const [a, b] = (await albumOrder())!;
    const nameOf = (id: string) => (id === first.id ? "first.png" : "second.png");
    const later = page.getByRole("button", { name: `Move ${nameOf(a!)} later` });
    await later.focus();
    await page.keyboard.press("Alt+ArrowRight");
    await expect.poll(albumOrder, { timeout: 10_000 }).toEqual([b, a]);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(
      `Move ${nameOf(a!)} later`,
    );
    // And back with the move button itself (Enter on it).
    await page.getByRole("button", { name: `Move ${nameOf(a!)} earlier` }).press("Enter");
    await expect.poll(albumOrder, { timeout: 10_000 }).toEqual([a, b]);
  });

  it("reorders by drag and drop", async () => {
    const [a, b] = (await albumOrder())!;
    await orderItems().nth(1).dragTo(orderItems().nth(0));
    await expect.poll(albumOrder, { timeout: 10_000 }).toEqual([b, a]);
    expect(await orderItems().first().innerText()).toContain(b === first.id ? "first.png" : "second.png");
  });

  it("makes an image private with the toggle: its public link then answers 404", async () => {
    expect(await statusOf(first.url)).toBe(302);
    await page.goto(`${base}/images/${first.id}`);
    const toggle = page.getByRole("switch", { name: "Private" });
    expect(await toggle.isChecked()).toBe(false);
    // The switch shows the server's answer, so it turns on once setImageVisibility has answered, not on the click.
    await toggle.click();
    await page.getByText("The image is private now.").waitFor();
    await expect.poll(() => toggle.isChecked()).toBe(true);
    await expect.poll(() => statusOf(first.url), { timeout: 5_000 }).toBe(404);
  });

  it("creates a share link with a view limit of 1: it works once, then answers 410", async () => {
    await page.getByRole("button", { name: "Share…" }).click();
    const dialog = page.getByRole("dialog", { name: "Share first.png" });
    await dialog.waitFor();
    await dialog.getByLabel("Expires").selectOption({ label: "In 1 day" });
    await dialog.getByLabel("View limit").fill("1");
    await dialog.getByLabel("Note (optional)").fill("once");
    await dialog.getByRole("button", { name: "Create link" }).click();
    const field = dialog.getByRole("textbox", { name: "New share link" });
    await field.waitFor();
    const link = await field.inputValue();
    expect(link).toMatch(new RegExp(`^${base}/s/[\\w-]{20,}$`));
    await dialog.getByRole("button", { name: "Copy share link" }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await dialog.getByRole("listitem").filter({ hasText: "once" }).getByText("0 of 1 views").waitFor();

    expect(await statusOf(link)).toBe(302);
    expect(await statusOf(link)).toBe(410);
  });

  it("revokes a link from the dialog: it then answers 410", async () => {
    const dialog = page.getByRole("dialog", { name: "Share first.png" });
    await dialog.getByLabel("View limit").fill("");
    await dialog.getByLabel("Note (optional)").fill("for a while");
    const field = dialog.getByRole("textbox", { name: "New share link" });
    const previous = await field.inputValue();
    await dialog.getByRole("button", { name: "Create link" }).click();
    await expect.poll(() => field.inputValue()).not.toBe(previous);
    const link = await field.inputValue();
    expect(await statusOf(link)).toBe(302);

    await dialog.getByRole("button", { name: "Revoke link “for a while”" }).click();
    await dialog
      .getByRole("listitem")
      .filter({ hasText: "for a while" })
      .getByText("Revoked", { exact: true })
      .waitFor();
    expect(await statusOf(link)).toBe(410);
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect.poll(() => dialog.count()).toBe(0);
  });

  it("does not scroll sideways at 390 px: albums page, editor, picker and share dialog", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${base}/albums`);
      await page.getByRole("link", { name: "Edit Trip to the coast" }).waitFor();
      expect(await scrollsSideways(page)).toBe(false);

      await page.getByRole("link", { name: "Edit Trip to the coast" }).click();
      await expect.poll(() => orderItems().count()).toBe(2);
      expect(await scrollsSideways(page)).toBe(false);

      await page.getByRole("button", { name: "Add images…" }).click();
      const picker = page.getByRole("dialog", { name: "Add images to Trip to the coast" });
      await picker.getByRole("checkbox", { name: /first\.png/ }).waitFor();
      expect(await scrollsSideways(page)).toBe(false);
      await picker.getByRole("button", { name: "Cancel" }).click();

      await page.getByRole("button", { name: "Share…" }).click();
      const share = page.getByRole("dialog", { name: "Share Trip to the coast" });
      await share.getByRole("button", { name: "Create link" }).click();
      await share.getByRole("textbox", { name: "New share link" }).waitFor();
      expect(await scrollsSideways(page)).toBe(false);
      await page.keyboard.press("Escape");
      await expect.poll(() => share.count()).toBe(0);
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Share…");
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  it("deletes the album after a confirmation; its images stay", async () => {
    await page.goto(`${base}/albums`);
    await page.getByRole("button", { name: "Delete Trip to the coast" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete the album Trip to the coast?" });
    await confirm.getByRole("button", { name: "Delete album" }).click();
    await expect.poll(() => page.getByRole("link", { name: "Edit Trip to the coast" }).count()).toBe(0);
    expect(await albumOrder()).toBeNull();
    for (const image of [first, second]) {
      const found = await ok<{ image: { id: string } | null }>(base, IMAGE_EXISTS, { id: image.id }, key);
      expect(found.image?.id).toBe(image.id);
    }
    expect(errors).toEqual([]);
  });
});
