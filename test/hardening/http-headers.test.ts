import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { registerApiKey } from "../support/upload-setups.js";
import { uploadImage } from "../support/uploads.js";

/** SEC-9 security headers on the app's own responses; CORS off unless origins are listed. */
describe("HTTP headers (SEC-9) and CORS", () => {
  let closed: TestApp;
  let open: TestApp;
  beforeAll(async () => {
    [closed, open] = await Promise.all([startTestApp(), startTestApp({ CORS_ORIGINS: "https://app.example.com" })]);
  });
  afterAll(async () => {
    await Promise.all([closed?.close(), open?.close()]);
  });

  it.each(["/health", "/graphql", "/nope"])("sets the security headers on %s", async (path) => {
    const r = await fetch(
      `${closed.baseUrl}${path}`,
      path === "/graphql"
        ? { method: "POST", headers: { "content-type": "application/json" }, body: `{"query":"{ me { id } }"}` }
        : {},
    );
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("referrer-policy")).toBe("no-referrer");
    expect(r.headers.get("x-frame-options")).toBe("DENY");
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("object-src 'none'");
  });

  it("sends a redirect only the headers that apply to it (the routed and the hot answer alike)", async () => {
    const key = await registerApiKey(closed.baseUrl, "headers");
    const { id } = await uploadImage(closed.baseUrl, key, await makeImage("png", 64, 48), "image/png");
    // The first answer comes from the Fastify route (a link-cache miss), the second from the hot path.
    for (const answer of ["routed", "hot"]) {
      const r = await fetch(`${closed.baseUrl}/image/${id}`, { redirect: "manual" });
      expect([answer, r.status]).toEqual([answer, 302]);
      // Referrer-Policy governs the request the redirect leads to; nosniff costs nothing.
      expect(r.headers.get("referrer-policy")).toBe("no-referrer");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      // The browser renders no redirect, and judges framing and its opener on the final answer.
      for (const name of ["content-security-policy", "x-frame-options", "cross-origin-opener-policy"]) {
        expect([answer, name, r.headers.get(name)]).toEqual([answer, name, null]);
      }
    }
  });

  const preflight = (baseUrl: string, origin: string) =>
    fetch(`${baseUrl}/graphql`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-api-key",
      },
    });

  it("grants no cross-origin access by default", async () => {
    const r = await preflight(closed.baseUrl, "https://evil.example");
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    const get = await fetch(`${closed.baseUrl}/health`, { headers: { origin: "https://evil.example" } });
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("grants it to listed origins only", async () => {
    const ok = await preflight(open.baseUrl, "https://app.example.com");
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(ok.headers.get("access-control-allow-headers")).toContain("x-api-key");
    const other = await preflight(open.baseUrl, "https://evil.example");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
