/**
 * Issue 18 point 7: the GraphQL playground at phone width (390 px). The editors stack instead of sharing the width,
 * so a result reads as JSON, not one character per line, and nothing scrolls sideways.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { collectConsoleErrors, launchChromium, scrollsSideways } from "./chromium.js";

/** For a person to look at; git-ignored. */
const SCREENSHOT_DIR = fileURLToPath(new URL("../e2e/screenshots/", import.meta.url));
mkdirSync(SCREENSHOT_DIR, { recursive: true });

const PHONE = { width: 390, height: 844 };

describe("GraphQL playground on a phone", () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    [server, browser] = await Promise.all([startTestApp(), launchChromium()]);
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: "en-US" });
    page = await context.newPage();
    errors = collectConsoleErrors(page);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("runs a query at 390 px and shows the result as readable lines, editors full width", async () => {
    await page.goto(`${server.baseUrl}/graphql`);
    const run = page.getByRole("button", { name: /Execute query/ });
    await run.waitFor({ timeout: 20_000 });
    const editor = page.locator(".graphiql-query-editor .monaco-editor").first();
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText(`{ __schema { queryType { name } mutationType { name } } }`);
    await run.click();

    // Monaco renders each visual line as a .view-line: a wrapped-to-nothing pane has one per character.
    const resultLines = () =>
      page
        .locator(".graphiql-response .view-line")
        .allInnerTexts()
        .then((lines) => lines.map((line) => line.replace(/\s+/g, " ").trim()).filter((line) => line !== ""));
    await expect.poll(resultLines, { timeout: 15_000 }).toContain(`"queryType": {`);
    const lines = await resultLines();
    expect(lines).toContain(`"name": "Query"`);
    expect(lines).toContain(`"name": "Mutation"`);

    // Both editors and the result take (nearly) the whole width, one above the other, all of them on screen.
    for (const selector of [".graphiql-query-editor", ".graphiql-response"]) {
      const box = (await page.locator(selector).first().boundingBox())!;
      expect(box.width, selector).toBeGreaterThan(PHONE.width * 0.75);
      expect(box.height, selector).toBeGreaterThan(120);
      expect(box.x + box.width, selector).toBeLessThanOrEqual(PHONE.width + 1);
    }
    const query = (await page.locator(".graphiql-query-editor").first().boundingBox())!;
    const response = (await page.locator(".graphiql-response").first().boundingBox())!;
    expect(response.y).toBeGreaterThanOrEqual(query.y + query.height - 1);
    expect(response.y + response.height).toBeLessThanOrEqual(PHONE.height + 1);
    expect(await run.isVisible()).toBe(true);
    expect(await scrollsSideways(page)).toBe(false);

    await page.screenshot({ path: `${SCREENSHOT_DIR}playground-phone.png` });
    expect(errors).toEqual([]);
  });
});
