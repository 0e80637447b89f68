import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { collectConsoleErrors, launchChromium } from "../browser/chromium.js";
import { startTestApp, type TestApp } from "./test-app.js";

// Shared by the "web app in Chromium" suites (test/browser/web-app-*.test.ts).

/** Screenshots of the main screens for a person to look at (issue 6); git-ignored. */
const SCREENSHOT_DIR = fileURLToPath(new URL("../e2e/screenshots/", import.meta.url));
export const screenshot = (name: string) => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return `${SCREENSHOT_DIR}${name}.png`;
};

export const PASSWORD = "violet-kettle-harbour-3";
export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 375, height: 812 };

export interface WebAppInChromium {
  server: TestApp;
  base: string;
  browser: Browser;
  context: BrowserContext;
  /** The one page the steps share, at desktop size, with the clipboard allowed. */
  page: Page;
  /** Console errors of `page`. */
  errors: string[];
}

/**
 * Before the enclosing describe's tests: the web app built by the same script `npm start` runs, a server (local
 * driver) and Chromium with one page. The object is filled in by then; everything is closed afterwards.
 */
export function webAppInChromium(): WebAppInChromium {
  const app = {} as WebAppInChromium;
  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    app.server = await startTestApp();
    app.base = app.server.baseUrl;
    app.browser = await launchChromium();
    app.context = await app.browser.newContext({ viewport: DESKTOP, locale: "en-US" });
    await app.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.base });
    app.page = await app.context.newPage();
    app.errors = collectConsoleErrors(app.page);
  }, 180_000);
  afterAll(async () => {
    await app.browser?.close();
    await app.server?.close();
  });
  return app;
}

/** Registers `username` through the app's form on `page`, which is left on the gallery, signed in. */
export async function registerInPage(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/register`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}
