import type { BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueUsername } from "../support/graphql.js";
import { makeImage, pngHeaderClaiming } from "../support/images.js";
import { PROCESSING_DEADLINE_MS, awaitProcessed } from "../support/uploads.js";
import { DESKTOP, PASSWORD, PHONE, screenshot, webAppInChromium } from "../support/web-app-browser.js";
import { scrollsSideways } from "./chromium.js";

/**
 * Issue 6: the web app in a real Chromium against a real server (local driver), built by the same script `npm start`
 * runs. One user registers and uploads, then looks at the gallery and one image, in order; the steps share one page.
 * The rest of the app: web-app-pages.test.ts and web-app-session.test.ts.
 */
describe("web app in Chromium (issue 6, SEC-5)", () => {
  const app = webAppInChromium();
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const username = uniqueUsername("browser");
  const files = {} as Record<"red" | "big" | "pasted" | "dropped", Buffer>;
  let redLink = "";

  beforeAll(async () => {
    ({ base, context, page, errors } = app);
    files.red = await makeImage("png", 64, 48);
    // Noise does not compress: a file big enough for the progress bar to move.
    files.big = await sharp({
      create: {
        width: 420,
        height: 300,
        channels: 3,
        background: "#808080",
        noise: { type: "gaussian", mean: 128, sigma: 60 },
      },
    })
      .png()
      .toBuffer();
    files.pasted = await makeImage("png", 30, 20);
    files.dropped = await makeImage("webp", 24, 24);
  });

  const uploadRow = (name: string) =>
    page.getByRole("list", { name: "Uploads" }).getByRole("listitem").filter({ hasText: name });
  const gallery = () => page.getByRole("list", { name: "Your images" });

  it("registers, keeping the session in an httpOnly cookie that page scripts cannot see", async () => {
    await page.goto(`${base}/`);
    await expect.poll(() => page.getByRole("heading", { name: "Log in" }).isVisible()).toBe(true);
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("Confirm password").fill(PASSWORD);
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByRole("button", { name: "Log out" }).waitFor();
    expect(await page.getByText("Signed in as").textContent()).toBe(`Signed in as ${username}`);
    expect(new URL(page.url()).pathname).toBe("/");

    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === "ih_session")!;
    expect(session.value).toMatch(/^ih_/);
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    expect(await page.evaluate(() => document.cookie)).not.toContain("ih_session");
    expect(await page.evaluate(() => document.cookie)).toBe("");
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
    expect(errors).toEqual([]);
  });

  it("uploads several files from the picker with a progress bar each, and a clear error for each rejected one", async () => {
    // Record every state each upload row goes through, so the test sees the progress bar move.
    await page.evaluate(() => {
      const seen: Record<string, string[]> = {};
      (window as unknown as { seen: typeof seen }).seen = seen;
      const record = () => {
        for (const row of document.querySelectorAll<HTMLElement>("li.upload")) {
          const name = row.querySelector(".upload-name")?.textContent ?? "";
          const value = row.querySelector("progress")?.getAttribute("value") ?? "-";
          const entry = `${row.dataset.status}:${value}`;
          const list = (seen[name] ??= []);
          if (list.at(-1) !== entry) list.push(entry);
        }
      };
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        characterData: true,
      });
    });
    // Slow the uplink (DevTools throttling) so the bigger file takes a second or two.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 200 * 1024,
    });

    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("button", { name: "Upload", exact: true }).click(),
    ]);
    expect(chooser.isMultiple()).toBe(true);
    await chooser.setFiles([
      { name: "red.png", mimeType: "image/png", buffer: files.red },
      { name: "notes.png", mimeType: "image/png", buffer: Buffer.from("These are my notes, not a picture.\n") },
      { name: "big.png", mimeType: "image/png", buffer: files.big },
      { name: "bomb.png", mimeType: "image/png", buffer: pngHeaderClaiming(30_000, 30_000) },
    ]);
    await expect
      .poll(() => page.getByRole("status").filter({ hasText: "uploaded" }).textContent(), { timeout: 20_000 })
      .toBe("2 of 4 uploaded, 2 failed");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });

    for (const name of ["red.png", "big.png"]) {
      const row = uploadRow(name);
      expect(await row.getByRole("progressbar", { name: `Progress of ${name}` }).getAttribute("value")).toBe("100");
      expect(await row.textContent()).toContain("Uploaded");
      expect(await row.getByLabel(`Link to ${name}`).inputValue()).toMatch(
        new RegExp(`^${base}/image/[A-Za-z0-9_-]{16}$`),
      );
    }
    // The client refuses a file by its bytes before sending anything; the server refuses what it cannot accept.
    expect(await uploadRow("notes.png").locator(".upload-error").textContent()).toContain(
      "notes.png is not a JPEG, PNG, GIF, WebP, AVIF or HEIC image.",
    );
    expect(await uploadRow("notes.png").getByRole("progressbar").count()).toBe(0);
    expect((await uploadRow("bomb.png").locator(".upload-error").textContent())!.length).toBeGreaterThan(20);
    expect(await uploadRow("bomb.png").getByLabel("Link to bomb.png").count()).toBe(0);

    const seen = await page.evaluate(() => (window as unknown as { seen: Record<string, string[]> }).seen);
    const big = seen["big.png"]!;
    const percents = big.filter((s) => s.startsWith("uploading:")).map((s) => Number(s.split(":")[1]));
    expect(
      percents.some((p) => p > 0 && p < 100),
      big.join(" "),
    ).toBe(true);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(big.at(-1)).toBe("done:100");
    expect(big).toContain("verifying:100");
    expect(seen["notes.png"]!.at(-1)).toBe("failed:-");
    await page.screenshot({ path: screenshot("uploads-desktop"), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("uploads by paste and by drag-and-drop too", async () => {
    await page.evaluate(
      ([pasted, dropped]) => {
        const file = (base64: string, name: string, type: string) =>
          new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name, { type });
        const clipboard = new DataTransfer();
        clipboard.items.add(file(pasted!, "image.png", "image/png"));
        document.dispatchEvent(
          new ClipboardEvent("paste", { clipboardData: clipboard, bubbles: true, cancelable: true }),
        );
        const drag = new DataTransfer();
        drag.items.add(file(dropped!, "dropped.webp", "image/webp"));
        const zone = document.querySelector(".dropzone")!;
        zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: drag, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent("drop", { dataTransfer: drag, bubbles: true, cancelable: true }));
      },
      [files.pasted.toString("base64"), files.dropped.toString("base64")],
    );
    await expect
      .poll(() => page.getByRole("status").filter({ hasText: "uploaded" }).textContent(), { timeout: 20_000 })
      .toBe("4 of 6 uploaded, 2 failed");
    const pastedName = await page
      .locator("li.upload .upload-name")
      .filter({ hasText: /^pasted-/ })
      .textContent();
    expect(pastedName).toMatch(/^pasted-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.png$/);
    expect(await uploadRow("dropped.webp").textContent()).toContain("Uploaded");
    expect(errors).toEqual([]);
  });

  it("copies a link with one click; the link opens to the exact bytes", async () => {
    const row = uploadRow("red.png");
    redLink = await row.getByLabel("Link to red.png").inputValue();
    await row.getByRole("button", { name: "Copy link" }).click();
    await expect.poll(() => row.getByRole("status").textContent()).toBe("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(redLink);

    // The link answers 503 until the pipeline has processed the image.
    expect((await awaitProcessed(redLink)).status).toBe(302);
    const opened = await context.newPage();
    const response = await opened.goto(redLink);
    expect(response!.status()).toBe(200);
    expect(response!.headers()["content-type"]).toBe("image/png");
    expect(Buffer.compare(await response!.body(), files.red)).toBe(0);
    await opened.close();
  });

  it("shows the gallery newest first with the 320-px thumbnails once processed", async () => {
    await page.reload();
    // Uploads from the page do not wait for the pipeline: a tile shows its thumbnail once the image is READY.
    await expect
      .poll(
        () =>
          gallery()
            .locator("li.thumb")
            .evaluateAll((tiles) => tiles.map((li) => li.dataset.status)),
        {
          timeout: PROCESSING_DEADLINE_MS,
        },
      )
      .toEqual(["ready", "ready", "ready", "ready"]);
    expect(await gallery().getByRole("img").count()).toBe(4);
    const names = await gallery().locator(".thumb-name").allTextContents();
    // The three first came from one batch in parallel; paste and drop came after them.
    expect(names.slice(2).sort()).toEqual(["big.png", "red.png"]);
    expect(names.slice(0, 2)).toContain("dropped.webp");
    expect(names.slice(0, 2).some((name) => name.startsWith("pasted-"))).toBe(true);
    expect(await page.getByRole("heading", { name: /^Your images \(/ }).textContent()).toBe("Your images (4)");
    await expect
      .poll(() =>
        gallery()
          .locator("img")
          .evaluateAll((imgs) => (imgs as HTMLImageElement[]).every((img) => img.complete && img.naturalWidth > 0)),
      )
      .toBe(true);
    const thumbnails = await gallery()
      .locator("img")
      .evaluateAll((imgs) => (imgs as HTMLImageElement[]).map((img) => new URL(img.currentSrc).pathname));
    expect(thumbnails).toHaveLength(4);
    for (const path of thumbnails) expect(path).toMatch(/^\/image\/[A-Za-z0-9_-]{16}\/w320$/);

    await page.screenshot({ path: screenshot("gallery-desktop"), fullPage: true });
    await page.setViewportSize(PHONE);
    expect(await scrollsSideways(page)).toBe(false);
    await page.screenshot({ path: screenshot("gallery-phone"), fullPage: true });
    await page.setViewportSize(DESKTOP);
    expect(errors).toEqual([]);
  });

  it("shows one image with its link, size and dimensions, and deletes it after a confirmation", async () => {
    await gallery()
      .getByRole("link", { name: /red\.png/ })
      .click();
    await page.getByRole("heading", { name: "red.png" }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/images\/[A-Za-z0-9_-]{16}$/);
    const picture = page.locator("figure").getByRole("img", { name: "red.png" });
    await expect
      .poll(() => picture.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)))
      .toBe(64);
    expect(await picture.getAttribute("src")).toBe(redLink);
    expect(await page.getByLabel("Public link").inputValue()).toBe(redLink);
    const facts = await page.locator("dl.facts").innerText();
    expect(facts).toContain("64 × 48 px");
    expect(facts).toContain(`${new Intl.NumberFormat("en-US").format(files.red.length)} bytes`);
    expect(facts).toContain("image/png");
    await page.setViewportSize(PHONE);
    expect(await scrollsSideways(page)).toBe(false);
    await page.screenshot({ path: screenshot("image-phone"), fullPage: true });
    await page.setViewportSize(DESKTOP);

    // Cancel first: nothing happens.
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Delete red.png?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect((await awaitProcessed(redLink)).status).toBe(302);

    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await dialog.getByRole("button", { name: "Delete image" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/");
    await expect
      .poll(() => page.getByRole("status").filter({ hasText: "Deleted" }).textContent())
      .toBe("Deleted red.png.");
    await expect.poll(() => gallery().getByRole("img").count()).toBe(3);

    await page.reload();
    await gallery().getByRole("img").first().waitFor();
    expect(await gallery().locator(".thumb-name").allTextContents()).not.toContain("red.png");
    expect(await page.getByRole("heading", { name: /^Your images \(/ }).textContent()).toBe("Your images (3)");
    expect((await fetch(redLink, { redirect: "manual" })).status).toBe(404);
    expect(errors).toEqual([]);
  });
});
