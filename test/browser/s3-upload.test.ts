import { type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { freePort } from "../support/redis-server.js";
import { rgwBucket, rgwEnv } from "../support/rgw-bucket.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { PROCESSING_DEADLINE_MS } from "../support/uploads.js";
import { collectConsoleErrors, launchChromium } from "./chromium.js";

/**
 * The web app uploading straight to a real S3 (Ceph RGW) from Chromium: the presigned PUT crosses origins, so it
 * works only with the bucket's CORS rule for the app's origin and the CSP's connect-src naming the store (SEC-9).
 */
describe("web app upload to S3 (RGW) with bucket CORS, in Chromium", () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let storageOrigin: string;
  let bucketUrl: string;

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    // The app's origin must be known before the bucket's CORS rule names it.
    const port = await freePort();
    const bucket = await rgwBucket({ corsOrigins: [`http://127.0.0.1:${port}`] });
    storageOrigin = new URL(bucket.endpoint!).origin;
    bucketUrl = `${bucket.endpoint}/${bucket.bucket}`;
    server = await startTestApp({ ...rgwEnv(bucket), PORT: String(port) });
    browser = await launchChromium();
    page = await (await browser.newContext({ locale: "en-US" })).newPage();
    errors = collectConsoleErrors(page);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("registers, uploads a picture from the picker to the bucket, and shows it from its public link", async () => {
    const storageRequests: string[] = [];
    page.on("request", (request) => {
      if (request.url().startsWith(storageOrigin)) storageRequests.push(request.method());
    });
    await page.goto(`${server.baseUrl}/`);
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Username").fill(uniqueUsername("s3browser"));
    await page.getByLabel("Password", { exact: true }).fill("violet-kettle-harbour-3");
    await page.getByLabel("Confirm password").fill("violet-kettle-harbour-3");
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByRole("button", { name: "Log out" }).waitFor();

    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("button", { name: "Upload", exact: true }).click(),
    ]);
    await chooser.setFiles([{ name: "red.png", mimeType: "image/png", buffer: await makeImage("png", 40, 30) }]);
    await expect
      .poll(() => page.getByRole("status").filter({ hasText: "uploaded" }).textContent(), { timeout: 20_000 })
      .toBe("1 of 1 uploaded");
    // The bytes went to the bucket (a CORS preflight, then the PUT), not through the app.
    expect(storageRequests).toContain("PUT");

    // The tile shows its thumbnail once the pipeline has processed the image; until then it loads nothing.
    const gallery = page.getByRole("list", { name: "Your images" });
    const tile = gallery.locator("li.thumb").filter({ hasText: "red.png" });
    await expect.poll(() => tile.getAttribute("data-status"), { timeout: PROCESSING_DEADLINE_MS }).toBe("ready");
    await expect
      .poll(() =>
        gallery
          .locator("img")
          .evaluateAll((imgs) =>
            (imgs as HTMLImageElement[]).map((img) =>
              img.complete && img.naturalWidth > 0 ? new URL(img.currentSrc).pathname.split("/").at(-1) : null,
            ),
          ),
      )
      .toEqual(["w320"]);
    expect(errors).toEqual([]);
  });

  it("the bucket answers the app's preflight and refuses another origin's", async () => {
    const preflight = (origin: string) =>
      fetch(`${bucketUrl}/up/x`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "PUT" },
      });
    const own = await preflight(server.baseUrl);
    expect(own.headers.get("access-control-allow-origin")).toBe(server.baseUrl);
    const other = await preflight("http://evil.invalid");
    expect(other.ok).toBe(false);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
