import { randomBytes } from "node:crypto";
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { ok } from "../support/sharing.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { collectConsoleErrors, launchChromium, scrollsSideways } from "./chromium.js";

const PASSWORD = "violet-kettle-harbour-3";
const NEW_PASSWORD = "amber-lantern-meadow-8";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };

const REGISTER = `mutation($u: String!, $p: String!, $code: String) {
  register(username: $u, password: $p, inviteCode: $code) { apiKey }
}`;
const CREATE_INVITE = `mutation($note: String) { createInvite(input: { note: $note }) { code } }`;
const ME = `{ me { username } }`;
const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey } }`;

async function logIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/**
 * Issue 20, the web app's account and admin pages in Chromium against real servers: one with open registration
 * (your own account), one with REGISTRATION=invite and an admin from ADMIN_USERNAMES.
 */
describe("account and admin pages in Chromium (issue 20)", () => {
  let open: TestApp;
  let invite: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const errorLists: string[][] = [];
  const admin = uniqueUsername("admin");

  /** A fresh page of its own (own cookies), its console errors collected. */
  async function newPage(viewport = PHONE): Promise<Page> {
    const context = await browser.newContext({ viewport, locale: "en-US" });
    contexts.push(context);
    const page = await context.newPage();
    // A step that cannot happen fails with its locator named, well before the test's own timeout.
    page.setDefaultTimeout(10_000);
    errorLists.push(collectConsoleErrors(page));
    return page;
  }

  beforeAll(async () => {
    await buildWebApp({ log: () => undefined });
    open = await startTestApp();
    invite = await startTestApp({ REGISTRATION: "invite", ADMIN_USERNAMES: admin });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await open?.close();
    await invite?.close();
  });

  describe("your account", () => {
    const username = uniqueUsername("acct");
    let page: Page;

    beforeAll(async () => {
      await ok(open.baseUrl, REGISTER, { u: username, p: PASSWORD });
      page = await newPage();
    });

    it("changes the password (the two new ones must match), then logs in with the new one only", async () => {
      await logIn(page, open.baseUrl, username, PASSWORD);
      await page.getByRole("button", { name: "Log out" }).waitFor();
      await page.getByRole("link", { name: "Account", exact: true }).click();
      await page.getByRole("heading", { name: "Change password" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/account");
      expect(await scrollsSideways(page)).toBe(false);

      await page.getByLabel("Current password").fill(PASSWORD);
      await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel("Confirm new password").fill(`${NEW_PASSWORD}x`);
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByRole("alert").filter({ hasText: "The new passwords do not match." }).waitFor();

      await page.getByLabel("Current password").fill("not-the-password-1");
      await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByRole("alert").filter({ hasText: "The current password is wrong." }).waitFor();

      await page.getByLabel("Current password").fill(PASSWORD);
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByRole("status").filter({ hasText: "Password changed." }).waitFor();

      await page.getByRole("button", { name: "Log out" }).click();
      await logIn(page, open.baseUrl, username, PASSWORD);
      await page.getByRole("alert").filter({ hasText: "Wrong username or password." }).waitFor();
      await logIn(page, open.baseUrl, username, NEW_PASSWORD);
      await page.getByRole("button", { name: "Log out" }).waitFor();
    });

    it("deletes the account only after the username is typed; the name can then be registered again", async () => {
      await page.getByRole("link", { name: "Account", exact: true }).click();
      const remove = page.getByRole("button", { name: "Delete my account" });
      await page.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
      expect(await remove.isDisabled()).toBe(true);
      await page.getByLabel(/Type your username/).fill(username.toUpperCase());
      expect(await remove.isDisabled()).toBe(true);
      await page.getByLabel(/Type your username/).fill(username);
      expect(await remove.isEnabled()).toBe(true);
      await remove.click();

      await page.getByRole("heading", { name: "Log in" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/login");
      const login = await gql(
        open.baseUrl,
        `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey } }`,
        {
          u: username,
          p: NEW_PASSWORD,
        },
      );
      expect(errorCode(login), JSON.stringify(login)).toBe("UNAUTHENTICATED");

      await page.getByRole("link", { name: "Create an account" }).click();
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      // The registration form may ask for the password twice.
      const confirm = page.getByLabel("Confirm password");
      if ((await confirm.count()) > 0) await confirm.fill(PASSWORD);
      await page.getByRole("button", { name: "Register" }).click();
      await page.getByRole("button", { name: "Log out" }).waitFor();
      expect(await page.getByText("Signed in as").textContent()).toBe(`Signed in as ${username}`);
    });
  });

  describe("the admin page", () => {
    let adminKey: string;
    let page: Page;
    const member = uniqueUsername("member");
    let memberKey: string;

    /** A user registered with a fresh invite (REGISTRATION=invite); returns its API key. */
    async function invited(username: string): Promise<string> {
      const { createInvite } = await ok<{ createInvite: { code: string } }>(
        invite.baseUrl,
        CREATE_INVITE,
        {},
        adminKey,
      );
      const r = await ok<{ register: { apiKey: string } }>(invite.baseUrl, REGISTER, {
        u: username,
        p: PASSWORD,
        code: createInvite.code,
      });
      return r.register.apiKey;
    }

    beforeAll(async () => {
      // Admins register without an invite.
      adminKey = (await ok<{ register: { apiKey: string } }>(invite.baseUrl, REGISTER, { u: admin, p: PASSWORD }))
        .register.apiKey;
      memberKey = await invited(member);
      page = await newPage();
      await logIn(page, invite.baseUrl, admin, PASSWORD);
      await page.getByRole("button", { name: "Log out" }).waitFor();
    });

    const users = () => page.getByRole("list", { name: "Users" }).getByRole("listitem");
    const search = async (text: string) => {
      await page.getByLabel("Username contains").fill(text);
      await page.getByRole("button", { name: "Search" }).click();
    };

    it("shows the instance's totals and the users, and disables and enables one (its API key refused meanwhile)", async () => {
      await page.getByRole("link", { name: "Admin" }).click();
      await page.getByRole("heading", { name: "Admin", level: 1 }).waitFor();
      const stats = page.locator(".stats");
      // Test files share one Redis, whose totals these are: their form, not their values.
      await expect.poll(() => stats.textContent()).toMatch(/^Users[\d,]+Images[\d,]+Stored[\d.,]+ (B|KiB|MiB|GiB)$/);
      await users().first().waitFor();
      expect(await scrollsSideways(page)).toBe(false);

      await search(member.toUpperCase().slice(0, 14));
      await expect.poll(() => users().allTextContents()).toEqual([expect.stringContaining(member)]);
      const row = users().filter({ hasText: member });
      expect(await row.textContent()).toMatch(/0 images.*0 B.*Created .*Last seen /);

      await page.getByRole("button", { name: `Disable ${member}` }).click();
      await row.getByText("disabled", { exact: true }).waitFor();
      expect(errorCode(await gql(invite.baseUrl, ME, {}, memberKey))).toBe("UNAUTHENTICATED");

      await page.getByRole("button", { name: `Enable ${member}` }).click();
      await page.getByRole("button", { name: `Disable ${member}` }).waitFor();
      expect((await ok<{ me: { username: string } }>(invite.baseUrl, ME, {}, memberKey)).me.username).toBe(member);
    });

    it("pages through the users, 20 at a time", async () => {
      const prefix = `pg${randomBytes(4).toString("hex")}`;
      for (let i = 0; i < 21; i++) await invited(`${prefix}u${i}`);
      await search(prefix);
      await expect.poll(() => users().count()).toBe(20);
      await page.getByRole("button", { name: "Next" }).click();
      await expect.poll(() => users().count()).toBe(1);
      expect(await page.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
      await page.getByRole("button", { name: "Previous" }).click();
      await expect.poll(() => users().count()).toBe(20);
    });

    it("deletes a user after confirming", async () => {
      const doomed = uniqueUsername("doomed");
      const doomedKey = await invited(doomed);
      await search(doomed);
      await page.getByRole("button", { name: `Delete ${doomed}` }).click();
      const dialog = page.getByRole("dialog", { name: `Delete ${doomed}?` });
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
      await page.getByRole("button", { name: `Delete ${doomed}` }).click();
      await dialog.getByRole("button", { name: "Delete user" }).click();
      await page.getByText(`No users matching “${doomed}”.`).waitFor();
      expect(errorCode(await gql(invite.baseUrl, ME, {}, doomedKey))).toBe("UNAUTHENTICATED");
    });

    it("creates an invite whose code registers one account, once; a revoked one registers none", async () => {
      await page.getByLabel("Note (optional)").fill("for Sam");
      await page.getByRole("button", { name: "Create invite" }).click();
      const codeField = page.getByRole("textbox", { name: "New invite code" });
      await codeField.waitFor();
      const code = await codeField.inputValue();
      expect(code).toMatch(/^inv_/);
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: invite.baseUrl });
      await page.getByRole("button", { name: "Copy code" }).click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
      const invites = page.getByRole("list", { name: "Invites" }).getByRole("listitem");
      await invites.filter({ hasText: "for Sam" }).getByText("open", { exact: true }).waitFor();

      const sam = uniqueUsername("sam");
      await ok(invite.baseUrl, REGISTER, { u: sam, p: PASSWORD, code });
      const again = await gql(invite.baseUrl, REGISTER, { u: uniqueUsername("sam2"), p: PASSWORD, code });
      expect(errorCode(again)).toBe("FORBIDDEN");

      await page.getByLabel("Note (optional)").fill("for Alex");
      await page.getByRole("button", { name: "Create invite" }).click();
      await expect.poll(() => codeField.inputValue()).not.toBe(code);
      const alexCode = await codeField.inputValue();
      await page.getByRole("button", { name: "Revoke invite for Alex" }).click();
      await expect.poll(() => invites.filter({ hasText: "for Alex" }).count()).toBe(0);
      const revoked = await gql(invite.baseUrl, REGISTER, { u: uniqueUsername("alex"), p: PASSWORD, code: alexCode });
      expect(errorCode(revoked)).toBe("FORBIDDEN");

      await page.reload();
      await invites.filter({ hasText: "for Sam" }).getByText("used", { exact: true }).waitFor();
      expect(await invites.filter({ hasText: "for Sam" }).textContent()).toContain(`Used by ${sam}`);
      expect(await scrollsSideways(page)).toBe(false);
      await page.setViewportSize(DESKTOP);
      expect(await scrollsSideways(page)).toBe(false);
    });

    it("is neither linked nor shown for a user who is not an admin", async () => {
      const other = await newPage(DESKTOP);
      await logIn(other, invite.baseUrl, member, PASSWORD);
      await other.getByRole("button", { name: "Log out" }).waitFor();
      expect(await other.getByRole("link", { name: "Account", exact: true }).isVisible()).toBe(true);
      expect(await other.getByRole("link", { name: "Admin" }).count()).toBe(0);
      await other.goto(`${invite.baseUrl}/admin`);
      await other.getByRole("heading", { name: "Page not found" }).waitFor();
      expect(await other.getByRole("heading", { name: "Admin" }).count()).toBe(0);
      expect(errorCode(await gql(invite.baseUrl, `{ users { nodes { id } } }`, {}, memberKey))).toBe("FORBIDDEN");
    });
  });

  it("registers from the web form with an invitation link's code (REGISTRATION=invite)", async () => {
    const adminKey = (await ok<{ login: { apiKey: string } }>(invite.baseUrl, LOGIN, { u: admin, p: PASSWORD })).login
      .apiKey;
    const { code } = (
      await ok<{ createInvite: { code: string } }>(invite.baseUrl, CREATE_INVITE, { note: "web form" }, adminKey)
    ).createInvite;
    const guest = await newPage();
    await guest.goto(`${invite.baseUrl}/register?invite=${encodeURIComponent(code)}`);
    expect(await guest.getByLabel("Invite code").inputValue()).toBe(code);
    const name = uniqueUsername("guest");
    await guest.getByLabel("Username").fill(name);
    await guest.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await guest.getByLabel("Confirm password").fill(PASSWORD);
    await guest.getByRole("button", { name: "Register" }).click();
    await guest.getByRole("button", { name: "Log out" }).waitFor();
    // The code is spent: it registers nobody else.
    const again = await gql(invite.baseUrl, REGISTER, { u: uniqueUsername("guest2"), p: PASSWORD, code });
    expect(errorCode(again)).toBe("FORBIDDEN");
  });

  it("logged no error in any page but the browser's note of the refused login", () => {
    const refused = /Failed to load resource: the server responded with a status of 401/;
    expect(errorLists.flat().filter((line) => !refused.test(line))).toEqual([]);
  });
});
