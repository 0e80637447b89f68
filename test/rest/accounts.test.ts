import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restRoutes } from "../../server/rest/route-table.js";
import { uniqueUsername } from "../support/graphql.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { PASSWORD, expectError, registerUser, rest } from "./rest-client.js";

/** REST-CONTRACT.md rows `POST /api/v1/register` and `POST /api/v1/login`, and what every JSON route shares. */
let server: TestApp;
beforeAll(async () => {
  server = await startTestApp();
});
afterAll(() => server?.close());

const post = (path: string, json: unknown) => rest(server.baseUrl, "POST", path, { json });

describe("POST /api/v1/register", () => {
  it("200 {api_key, username}: creates the account and logs it in", async () => {
    const username = uniqueUsername("Alice");
    const r = await post("/api/v1/register", { username, password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ api_key: expect.stringMatching(/^ih_[A-Za-z0-9_-]{43}$/), username });
    expect(restRoutes.register.success.body.safeParse(r.body).success).toBe(true);
    // The key works on an authenticated route.
    expect((await rest(server.baseUrl, "GET", "/api/v1/me/images", { key: r.body.api_key })).status).toBe(200);
  });

  it("409 conflict for a taken username, ignoring case", async () => {
    const { username } = await registerUser(server.baseUrl, "dup");
    expectError(await post("/api/v1/register", { username, password: PASSWORD }), 409, "conflict");
    expectError(
      await post("/api/v1/register", { username: username.toUpperCase(), password: PASSWORD }),
      409,
      "conflict",
    );
  });

  it.each([
    ["a malformed username", { username: "a/b", password: PASSWORD }],
    ["a short password", { username: uniqueUsername(), password: "short" }],
    ["a very common password", { username: uniqueUsername(), password: "password123" }],
    ["a missing password", { username: uniqueUsername() }],
    ["a number as username", { username: 12345678, password: PASSWORD }],
    ["a null password", { username: uniqueUsername(), password: null }],
    ["an array body", [uniqueUsername(), PASSWORD]],
  ])("400 validation for %s", async (_label, body) => {
    expectError(await post("/api/v1/register", body), 400, "validation");
  });

  it("names the offending field when a type is wrong, and never coerces it", async () => {
    const username = uniqueUsername();
    const r = await post("/api/v1/register", { username, password: 12345678901 });
    expectError(r, 400, "validation");
    expect(r.body.error.message).toMatch(/password/);
    // Nothing was created under that name: registering it properly still works.
    expect((await post("/api/v1/register", { username, password: PASSWORD })).status).toBe(200);
  });

  it("accepts and ignores unknown properties (newer clients may send more)", async () => {
    const username = uniqueUsername();
    const r = await post("/api/v1/register", { username, password: PASSWORD, email: "x@example.com", remember: true });
    expect(r.status).toBe(200);
    expect(r.body.username).toBe(username);
  });
});

describe("POST /api/v1/login", () => {
  it("200 {api_key, username}: a new credential each time", async () => {
    const { username, key } = await registerUser(server.baseUrl, "login");
    const r = await post("/api/v1/login", { username: username.toUpperCase(), password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ api_key: expect.stringMatching(/^ih_/), username });
    expect(r.body.api_key).not.toBe(key);
    expect((await rest(server.baseUrl, "GET", "/api/v1/me/images", { key: r.body.api_key })).status).toBe(200);
  });

  it("401 auth for a wrong password, with the same body as for an unknown user", async () => {
    const { username } = await registerUser(server.baseUrl, "wrongpw");
    const wrong = await post("/api/v1/login", { username, password: "not-the-password-9" });
    const unknown = await post("/api/v1/login", { username: uniqueUsername("ghost"), password: "not-the-password-9" });
    expectError(wrong, 401, "auth");
    expectError(unknown, 401, "auth");
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
  });

  it.each([
    ["a missing password", { username: "someone" }],
    ["empty strings", { username: "", password: "" }],
    ["a boolean password", { username: "someone", password: true }],
  ])("400 validation for %s", async (_label, body) => {
    expectError(await post("/api/v1/login", body), 400, "validation");
  });

  it("429 rate_limited with Retry-After after 10 failed logins for one username (SEC-3)", async () => {
    const { username } = await registerUser(server.baseUrl, "brute");
    for (let i = 0; i < 10; i++)
      expectError(await post("/api/v1/login", { username, password: `wrong-guess-${i}-x` }), 401, "auth");
    const limited = await post("/api/v1/login", { username, password: PASSWORD });
    expectError(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("what every JSON route shares", () => {
  it("400 validation for a body that is not JSON", async () => {
    expectError(
      await rest(server.baseUrl, "POST", "/api/v1/register", { raw: '{"username": "x",' }),
      400,
      "validation",
    );
    expectError(await rest(server.baseUrl, "POST", "/api/v1/login", { raw: "" }), 400, "validation");
  });

  it("400 validation for a body that is not sent as JSON", async () => {
    const form = `username=${uniqueUsername()}&password=${PASSWORD}`;
    expectError(
      await rest(server.baseUrl, "POST", "/api/v1/register", {
        raw: form,
        contentType: "application/x-www-form-urlencoded",
      }),
      400,
      "validation",
    );
    expectError(
      await rest(server.baseUrl, "POST", "/api/v1/register", { raw: "hello", contentType: "text/plain" }),
      400,
      "validation",
    );
    expectError(await rest(server.baseUrl, "POST", "/api/v1/register"), 400, "validation");
  });

  it("413 too_large for a body over 100 KB", async () => {
    const big = { username: uniqueUsername(), password: PASSWORD, padding: "x".repeat(101 * 1024) };
    expectError(await post("/api/v1/register", big), 413, "too_large");
    const { key } = await registerUser(server.baseUrl, "big");
    const upload = await rest(server.baseUrl, "POST", "/api/v1/upload/request", {
      key,
      json: { filename: "a.png", mime_type: "image/png", padding: "x".repeat(101 * 1024) },
    });
    expectError(upload, 413, "too_large");
  });

  it.each([
    ["POST", "/api/v1/upload/request"],
    ["POST", "/api/v1/upload/complete"],
    ["GET", "/api/v1/me/images"],
    ["DELETE", "/api/v1/image/AAAAAAAAAAAAAAAA"],
  ])("401 auth on %s %s without a key, with a malformed key, or a revoked one", async (method, path) => {
    const json = method === "POST" ? {} : undefined;
    expectError(await rest(server.baseUrl, method, path, { json }), 401, "auth");
    expectError(await rest(server.baseUrl, method, path, { json, key: "not-a-key" }), 401, "auth");
    expectError(await rest(server.baseUrl, method, path, { json, key: `ih_${"A".repeat(43)}` }), 401, "auth");
  });

  it("accepts the key as Authorization: Bearer too", async () => {
    const { key } = await registerUser(server.baseUrl, "bearer");
    const r = await rest(server.baseUrl, "GET", "/api/v1/me/images", { headers: { Authorization: `Bearer ${key}` } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ items: [] });
  });

  it("404 not_found for an unknown /api/v1 route", async () => {
    expectError(await rest(server.baseUrl, "GET", "/api/v1/nothing-here"), 404, "not_found");
  });
});
