import type { BrowserContext, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueUsername } from "../support/graphql.js";
import { makeHeic } from "../cli/heif-fixtures.js";
import { makeImage } from "../support/images.js";
import { awaitProcessed, uploadImage } from "../support/uploads.js";
import { DESKTOP, PHONE, registerInPage, screenshot, webAppInChromium } from "../support/web-app-browser.js";
import { scrollsSideways } from "./chromium.js";

/**
 * Issue 6: API keys, the keyboard, a long gallery and HEIC conversion in a real Chromium, for one signed-in user
 * whose gallery holds a big.png; the steps share one page. Registration and uploads: web-app-uploads.test.ts.
 */
describe("web app in Chromium (issue 6, SEC-5)", () => {
  const app = webAppInChromium();
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const username = uniqueUsername("browser");

  beforeAll(async () => {
    ({ base, context, page, errors } = app);
    await registerInPage(page, base, username);
    const session = (await context.cookies(base)).find((c) => c.name === "ih_session")!.value;
    await uploadImage(base, session, await makeImage("png", 64, 48), "image/png", { filename: "big.png" });
  });

  const uploadRow = (name: string) =>
    page.getByRole("list", { name: "Uploads" }).getByRole("listitem").filter({ hasText: name });
  const gallery = () => page.getByRole("list", { name: "Your images" });

  it("creates an API key whose secret is shown once, lists it and revokes it", async () => {
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
    await page.getByLabel("Key name").fill("laptop");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.getByLabel("New API key").inputValue();
    expect(secret).toMatch(/^ih_[A-Za-z0-9_-]{43}$/);
    const me = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": secret },
      body: JSON.stringify({ query: "{ me { username } }" }),
    });
    expect(await me.json()).toEqual({ data: { me: { username } } });

    const keys = page.locator("ul.keys > li");
    await expect.poll(() => keys.count()).toBe(1);
    expect(await keys.first().innerText()).toContain("laptop");
    await page.screenshot({ path: screenshot("keys-desktop"), fullPage: true });
    await page.setViewportSize(PHONE);
    expect(await scrollsSideways(page)).toBe(false);
    await page.setViewportSize(DESKTOP);

    // Shown once: gone after a reload, and never in the list.
    await page.reload();
    await page.getByRole("heading", { name: "Your keys" }).waitFor();
    await expect.poll(() => keys.count()).toBe(1);
    expect(await page.getByLabel("New API key").count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    await page.getByRole("button", { name: "Revoke laptop" }).click();
    await page.getByRole("dialog", { name: "Revoke “laptop”?" }).getByRole("button", { name: "Revoke key" }).click();
    await expect.poll(() => page.getByText("No API keys yet.").isVisible()).toBe(true);
    const after = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": secret },
      body: JSON.stringify({ query: "{ me { username } }" }),
    });
    expect(((await after.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      "UNAUTHENTICATED",
    );
    expect(errors).toEqual([]);
  });

  it("names every control, reaches them from the keyboard, and fits a phone screen", async () => {
    await page.getByRole("link", { name: "Images" }).click();
    await gallery().getByRole("img").first().waitFor();
    await uploadControlsAppear(page);

    const unnamed = await page.locator("button, a[href], input, select, textarea").evaluateAll((elements) =>
      elements
        .filter((element) => {
          const el = element as HTMLInputElement;
          const name =
            el.getAttribute("aria-label") ??
            (el.labels && el.labels.length > 0 ? el.labels[0]!.textContent : null) ??
            (el.textContent?.trim() || el.querySelector("img")?.getAttribute("alt") || el.getAttribute("title"));
          return !name || name.trim() === "";
        })
        .map((el) => el.outerHTML.slice(0, 120)),
    );
    expect(unnamed).toEqual([]);

    // Tab through the page from the top and note what gets the focus.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press("Tab");
      reached.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return el ? (el.getAttribute("aria-label") ?? el.textContent?.trim() ?? el.tagName) : "";
        }),
      );
    }
    for (const name of [
      "Skip to content",
      "Images",
      "API keys",
      "Playground",
      "Log out",
      "Upload",
      "Copy link",
      "Clear finished",
    ]) {
      expect(reached, name).toContain(name);
    }
    expect(reached.some((name) => /big\.png/.test(name))).toBe(true);

    await page.setViewportSize(PHONE);
    expect(await scrollsSideways(page)).toBe(false);
    await page.setViewportSize(DESKTOP);
    expect(errors).toEqual([]);
  });

  it("loads more of a long gallery with a button, without gaps or repeats", async () => {
    const secret = (await context.cookies(base)).find((c) => c.name === "ih_session")!.value;
    for (let i = 0; i < 26; i++)
      await uploadImage(base, secret, await makeImage("png", 8, 8), "image/png", {
        filename: `batch-${String(i).padStart(2, "0")}.png`,
      });
    const all = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": secret },
      body: JSON.stringify({ query: "{ myImages(first: 100) { nodes { filename } } }" }),
    });
    const expected = (
      (await all.json()) as { data: { myImages: { nodes: { filename: string }[] } } }
    ).data.myImages.nodes.map((n) => n.filename);
    expect(expected.slice(0, 3)).toEqual(["batch-25.png", "batch-24.png", "batch-23.png"]);

    await page.reload();
    // Tiles, not images: one uploaded from the page just before may still be processing (no <img> yet).
    await expect.poll(() => gallery().locator("li.thumb").count()).toBe(24);
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => gallery().locator("li.thumb").count()).toBe(expected.length);
    expect(await gallery().locator(".thumb-name").allTextContents()).toEqual(expected);
    expect(await page.getByRole("button", { name: "Load more" }).count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it("converts a HEIC photo to JPEG in the page before uploading it (WebAssembly under the CSP)", async () => {
    const heic = await makeHeic(40, 24);
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { heicSeen: string[] }).heicSeen = seen;
      new MutationObserver(() => {
        const row = [...document.querySelectorAll<HTMLElement>("li.upload")].find((li) =>
          li.textContent?.includes("photo.heic"),
        );
        if (row && seen.at(-1) !== row.dataset.status) seen.push(row.dataset.status ?? "");
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("button", { name: "Upload", exact: true }).click(),
    ]);
    await chooser.setFiles([{ name: "photo.heic", mimeType: "image/heic", buffer: heic }]);
    await expect.poll(() => uploadRow("photo.heic").getAttribute("data-status"), { timeout: 30_000 }).toBe("done");
    expect(await uploadRow("photo.heic").textContent()).toContain("40 × 24 px");
    // Chromium cannot draw the HEIC file itself: the row's preview is the converted JPEG.
    const preview = uploadRow("photo.heic").locator("img.upload-preview");
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(40);
    expect(await page.evaluate(() => (window as unknown as { heicSeen: string[] }).heicSeen)).toContain("converting");
    const link = await uploadRow("photo.heic").getByLabel("Link to photo.heic").inputValue();
    const stored = await fetch((await awaitProcessed(link)).headers.get("location")!);
    expect(stored.headers.get("content-type")).toBe("image/jpeg");
    // The gallery learns of the new image from its live event (then a refetch): wait for it, as for the row.
    await expect.poll(() => gallery().locator(".thumb-name").allTextContents()).toContain("photo.jpg");
    expect(errors).toEqual([]);
  });
});

/** The page was reloaded since the first uploads, so its upload list is empty: upload one more to bring up its controls. */
async function uploadControlsAppear(page: Page): Promise<void> {
  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser"),
    page.getByRole("button", { name: "Upload", exact: true }).click(),
  ]);
  await chooser.setFiles([{ name: "small.png", mimeType: "image/png", buffer: await makeImage("png", 12, 12) }]);
  await page.getByRole("button", { name: "Copy link" }).waitFor();
}
