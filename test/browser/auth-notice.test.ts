/**
 * Issue 18 point 12, on a phone (390 px): the register form asks for the password twice and lists every problem
 * at once; the "Deleted …" notice shows on the gallery the delete leads to, beside the content rather than over
 * it, and is gone as soon as the user moves on to another page.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { uploadImage } from "../support/uploads.js";
import { collectConsoleErrors, launchChromium, scrollsSideways } from "./chromium.js";

const PHONE = { width: 390, height: 844 };
const PASSWORD = "copper-meadow-violin-6";

describe("register form and notices on a phone", () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const username = uniqueUsername("notice");
  const registerCalls: string[] = [];

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    [server, browser] = await Promise.all([startTestApp(), launchChromium()]);
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: "en-US" });
    page = await context.newPage();
    errors = collectConsoleErrors(page);
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/web/register") registerCalls.push(request.method());
    });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const problems = () =>
    page
      .locator("form .form-error")
      .allInnerTexts()
      .then((texts) => texts.map((t) => t.trim()));

  it("register: password confirmation, every problem at once under its field, none sent to the server", async () => {
    await page.goto(`${server.baseUrl}/register`);
    await page.getByRole("heading", { name: "Create an account" }).waitFor();
    const usernameField = page.getByLabel("Username");
    const passwordField = page.getByLabel("Password", { exact: true });
    const confirmField = page.getByLabel("Confirm password");
    await confirmField.waitFor({ timeout: 5000 });
    expect(await confirmField.getAttribute("type")).toBe("password");
    expect(await confirmField.getAttribute("autocomplete")).toBe("new-password");

    await page.getByRole("button", { name: "Register" }).click();
    await expect.poll(problems).toHaveLength(3);

    await usernameField.fill("no");
    await passwordField.fill("short");
    await confirmField.fill("shorts");
    await page.getByRole("button", { name: "Register" }).click();
    await expect
      .poll(problems)
      .toEqual([
        "Use 3 to 32 letters (A–Z), digits, dots, dashes or underscores.",
        "Use at least 8 characters.",
        "The two passwords are not the same.",
      ]);
    for (const field of [usernameField, passwordField, confirmField]) {
      expect(await field.getAttribute("aria-invalid")).toBe("true");
      const describedBy = (await field.getAttribute("aria-describedby"))!.split(" ");
      expect(describedBy.some((id) => id.endsWith("-problem"))).toBe(true);
    }
    // The first field with a problem has the focus.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("username");

    // Fixing one clears its message and leaves the others.
    await usernameField.fill(username);
    await expect.poll(problems).toHaveLength(2);
    expect(registerCalls).toEqual([]);
    expect(await scrollsSideways(page)).toBe(false);

    await passwordField.fill(PASSWORD);
    await confirmField.fill(PASSWORD);
    await expect.poll(problems).toEqual([]);
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByRole("button", { name: "Log out" }).waitFor();
    expect(registerCalls).toEqual(["POST"]);
  });

  it("after a delete the notice sits above the gallery, not over it, and does not follow to the next page", async () => {
    // A user of its own, signed in the way the login form does it, so this case stands without the one above.
    const owner = uniqueUsername("deleter");
    const registered = await gql<{ register: { apiKey: string } }>(
      server.baseUrl,
      `mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey } }`,
      { u: owner, p: PASSWORD },
    );
    const key = registered.data!.register.apiKey;
    const session = await page.context().request.post(`${server.baseUrl}/web/session`, {
      headers: { origin: server.baseUrl },
      data: { username: owner, password: PASSWORD },
    });
    expect(session.status()).toBe(200);
    const images = [];
    for (const name of ["one.png", "two.png", "three.png"])
      images.push(
        await uploadImage(server.baseUrl, key, await makeImage("png", 40, 30), "image/png", { filename: name }),
      );

    await page.goto(`${server.baseUrl}/images/${images[0]!.id}`);
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete image" }).click();
    const notice = page.getByRole("status").filter({ hasText: "Deleted" });
    await expect.poll(() => notice.textContent()).toBe("Deleted one.png.");
    await expect.poll(() => new URL(page.url()).pathname).toBe("/");
    const gallery = page.getByRole("list", { name: "Your images" });
    await expect.poll(() => gallery.getByRole("listitem").count()).toBe(2);

    // Nothing of the page lies under the notice: it takes its own place above <main>.
    const noticeBox = (await notice.boundingBox())!;
    const mainBox = (await page.locator("main").boundingBox())!;
    expect(noticeBox.height).toBeGreaterThan(0);
    expect(noticeBox.y + noticeBox.height).toBeLessThanOrEqual(mainBox.y + 1);
    const covered = await page.evaluate(
      ({ x, y, width, height }) =>
        [...document.querySelectorAll("main a, main button, main img, main input, main h1, main h2")].filter((el) => {
          const r = el.getBoundingClientRect();
          return r.width > 0 && r.left < x + width && r.right > x && r.top < y + height && r.bottom > y;
        }).length,
      noticeBox,
    );
    expect(covered).toBe(0);

    // On to another image well within the notice's five seconds: it is gone there, and stays gone coming back. (The
    // shell's notice region itself: pages have status regions of their own, such as "Loading…".)
    const shellNotice = page.locator("div.notice[role=status]");
    await gallery.locator(`a[href="/images/${images[1]!.id}"]`).first().click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/images/${images[1]!.id}`);
    expect(await shellNotice.textContent()).toBe("");
    await page.goBack();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/");
    expect(await shellNotice.textContent()).toBe("");
    expect(errors).toEqual([]);
  });
});
