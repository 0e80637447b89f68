import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { uniqueUsername } from "../support/graphql.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const PASSWORD = "quiet-harbor-lantern-4";

/**
 * Issue 18 point 4: opening the app as http://localhost:3000 must not break login while PUBLIC_URL is the default
 * (http://127.0.0.1:3000); a PUBLIC_URL that is set is never widened (SEC-5).
 */
describe("web session origins on loopback", () => {
  let byDefault: TestApp;
  let explicit: TestApp;
  beforeAll(async () => {
    byDefault = await startTestApp();
    // Only the origin check reads PUBLIC_URL here; the server listens on its own free port.
    explicit = await startTestApp({ PUBLIC_URL: "http://127.0.0.1:3000" });
  });
  afterAll(async () => {
    await Promise.all([byDefault?.close(), explicit?.close()]);
  });

  const register = (baseUrl: string, origin: string) =>
    fetch(`${baseUrl}/web/register`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ username: uniqueUsername("loop"), password: PASSWORD }),
    });

  it("accepts both loopback names when PUBLIC_URL is the default", async () => {
    const port = new URL(byDefault.baseUrl).port;
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const response = await register(byDefault.baseUrl, origin);
      expect(response.status, await response.text()).toBe(200);
    }
  });

  it("still refuses every other origin, including other ports and schemes of localhost", async () => {
    const port = new URL(byDefault.baseUrl).port;
    for (const origin of ["https://evil.example", `http://localhost:${Number(port) + 1}`, `https://localhost:${port}`])
      expect((await register(byDefault.baseUrl, origin)).status).toBe(403);
  });

  it("never widens a PUBLIC_URL that is set, even to the same loopback address", async () => {
    expect((await register(explicit.baseUrl, "http://localhost:3000")).status).toBe(403);
    expect((await register(explicit.baseUrl, "http://127.0.0.1:3000")).status).toBe(200);
  });

  it("derives the allowed origins in config", () => {
    expect(loadConfig({ PORT: "3000" }).http.appOrigins).toEqual(["http://127.0.0.1:3000", "http://localhost:3000"]);
    expect(loadConfig({ HOST: "localhost" }).http.appOrigins).toEqual([
      "http://localhost:3000",
      "http://127.0.0.1:3000",
      "http://[::1]:3000",
    ]);
    expect(loadConfig({ PUBLIC_URL: "http://127.0.0.1:3000" }).http.appOrigins).toEqual(["http://127.0.0.1:3000"]);
    expect(loadConfig({ PUBLIC_URL: "https://img.example.com" }).http.appOrigins).toEqual(["https://img.example.com"]);
    expect(loadConfig({ HOST: "0.0.0.0" }).http.appOrigins).toEqual(["http://0.0.0.0:3000"]);
  });
});
