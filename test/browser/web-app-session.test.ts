import type { BrowserContext, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueUsername } from "../support/graphql.js";
import { DESKTOP, PASSWORD, PHONE, registerInPage, screenshot, webAppInChromium } from "../support/web-app-browser.js";
import { collectConsoleErrors, scrollsSideways } from "./chromium.js";

/**
 * Issue 6: the playground, logging out and the login's error messages in a real Chromium, for one signed-in user;
 * the steps share one page. Registration and uploads: web-app-uploads.test.ts.
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
