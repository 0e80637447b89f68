import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { uniqueUsername } from "../support/graphql.js";
import { makeHeic } from "../cli/heif-fixtures.js";
import { makeImage, pngHeaderClaiming } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { PROCESSING_DEADLINE_MS, awaitProcessed, uploadImage } from "../support/uploads.js";
import { collectConsoleErrors, launchChromium, scrollsSideways } from "./chromium.js";

/** Screenshots of the main screens for a person to look at (issue 6); git-ignored. */
const SCREENSHOT_DIR = fileURLToPath(new URL("../e2e/screenshots/", import.meta.url));
mkdirSync(SCREENSHOT_DIR, { recursive: true });
const screenshot = (name: string) => `${SCREENSHOT_DIR}${name}.png`;

const PASSWORD = "violet-kettle-harbour-3";
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 375, height: 812 };

/**
 * Issue 6: the web app and the playground in a real Chromium against a real server (local driver), built by the
 * same script `npm start` runs. One user goes through the whole app in order; the steps share one page.
 */
describe("web app in Chromium (issue 6, SEC-5)", () => {
  let server: TestApp;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const username = uniqueUsername("browser");
  const files = {} as Record<"red" | "big" | "pasted" | "dropped", Buffer>;
  let redLink = "";

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    server = await startTestApp();
    base = server.baseUrl;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: DESKTOP, locale: "en-US" });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    page = await context.newPage();
    errors = collectConsoleErrors(page);
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
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
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
    expect(await page.evaluate(() => (window as unknown as { heicSeen: string[] }).heicSeen)).toContain("converting");
    const link = await uploadRow("photo.heic").getByLabel("Link to photo.heic").inputValue();
    const stored = await fetch((await awaitProcessed(link)).headers.get("location")!);
    expect(stored.headers.get("content-type")).toBe("image/jpeg");
    expect(await gallery().locator(".thumb-name").allTextContents()).toContain("photo.jpg");
    expect(errors).toEqual([]);
  });

  it("runs GraphiQL at /graphql offline, as the logged-in user, with no request leaving the origin", async () => {
    const offOrigin: string[] = [];
    const playground = await context.newPage();
    const playgroundErrors = collectConsoleErrors(playground);
    await playground.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === base) return route.continue();
      offOrigin.push(url);
      return route.abort();
    });
    context.on("request", (request) => {
      const url = request.url();
      if (/^https?:/.test(url) && new URL(url).origin !== base) offOrigin.push(url);
    });

    await playground.goto(`${base}/graphql`);
    expect(await playground.title()).toBe("ImageHost GraphQL playground");
    const run = playground.getByRole("button", { name: /Execute query/ });
    await run.waitFor({ timeout: 20_000 });
    const editor = playground.locator(".graphiql-query-editor .monaco-editor").first();
    await editor.waitFor();
    await editor.click();
    await playground.keyboard.press("ControlOrMeta+A");
    await playground.keyboard.press("Delete");
    await playground.keyboard.insertText("{ me { username } }");
    await run.click();
    // Monaco lays text out with non-breaking spaces.
    const response = () =>
      playground
        .locator(".graphiql-response")
        .innerText()
        .then((text) => text.replace(/\s+/g, " "));
    await expect.poll(response, { timeout: 15_000 }).toContain(`"me": { "username": "${username}" }`);

    // The docs come from introspection (the explorer switch is on by default).
    await playground.getByRole("button", { name: /Show Documentation Explorer/ }).click();
    await expect.poll(() => playground.getByText("Root Types").isVisible()).toBe(true);

    await playground.screenshot({ path: screenshot("playground") });
    expect(offOrigin).toEqual([]);
    expect(await playground.evaluate(() => Object.values(localStorage).some((value) => value.includes("ih_")))).toBe(
      false,
    );
    expect(playgroundErrors).toEqual([]);
    await playground.close();
  });

  it("logs out: the cookie is gone and the app shows the login", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/login");
    expect((await context.cookies(base)).find((c) => c.name === "ih_session")).toBeUndefined();
    await page.reload();
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await page.setViewportSize(PHONE);
    expect(await scrollsSideways(page)).toBe(false);
    await expect
      .poll(() => page.locator("img").evaluateAll((imgs) => (imgs as HTMLImageElement[]).every((img) => img.complete)))
      .toBe(true);
    await page.screenshot({ path: screenshot("login-phone") });

    // A dead session cookie (revoked or expired elsewhere) leads to the login page, and is cleared.
    await context.addCookies([
      { name: "ih_session", value: `ih_${"A".repeat(43)}`, url: base, httpOnly: true, sameSite: "Strict" },
    ]);
    await page.goto(`${base}/keys`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await expect.poll(async () => (await context.cookies(base)).some((c) => c.name === "ih_session")).toBe(false);
    await page.setViewportSize(DESKTOP);
    expect(errors).toEqual([]);
  });

  it("explains a taken name, a wrong password and a rate limit", async () => {
    const other = await context.newPage();
    const otherErrors = collectConsoleErrors(other);
    const name = uniqueUsername("limited");
    const post = (route: string, password: string) =>
      fetch(`${base}${route}`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        body: JSON.stringify({ username: name, password }),
      });
    expect((await post("/web/register", PASSWORD)).status).toBe(200);
    await context.clearCookies();

    await other.goto(`${base}/register`);
    await other.getByLabel("Username").fill(name);
    await other.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await other.getByLabel("Confirm password").fill(PASSWORD);
    await other.getByRole("button", { name: "Register" }).click();
    await expect
      .poll(() => other.getByRole("alert").textContent())
      .toBe("That username is taken. Please choose another one.");

    await other.getByRole("link", { name: "Log in instead" }).click();
    await other.getByLabel("Username").fill(name);
    await other.getByLabel("Password").fill("not-my-password-1");
    await other.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => other.getByRole("alert").textContent()).toBe("Wrong username or password.");

    // Nine more failures use up the username's ten per 15 minutes (SEC-3); the next one is refused.
    for (let i = 0; i < 9; i++) expect((await post("/web/session", "not-my-password-1")).status).toBe(401);
    await other.getByRole("button", { name: "Log in" }).click();
    await expect
      .poll(() => other.getByRole("alert").textContent())
      .toMatch(/^Too many attempts\. Please wait \d+ minutes and try again\.$/);

    // The browser logs each refused request; nothing else may appear.
    const expected = /Failed to load resource: the server responded with a status of (409|401|429)/;
    expect(otherErrors.filter((line) => !expected.test(line))).toEqual([]);
    await other.close();
  });

  it("refuses a cross-origin POST /web/session", async () => {
    const response = await fetch(`${base}/web/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: "forbidden" } });
    expect(response.headers.getSetCookie()).toEqual([]);
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
