import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { uploadImage } from "../support/uploads.js";
import { expectError, PASSWORD, registerUser, rest } from "./rest-client.js";

/**
 * A request exactly as given, body and all: fetch() refuses a body on GET, old clients (requests) do not. A body
 * gets its Content-Length unless the headers say chunked (Node frames neither by default on GET and DELETE).
 */
function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const framed =
      body === undefined || "transfer-encoding" in headers
        ? headers
        : { ...headers, "content-length": String(Buffer.byteLength(body)) };
    const request = http.request(`${baseUrl}${path}`, { method, headers: framed }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

/**
 * Issue 18 point 1: the request shapes the original clients send. Routes that take no body accept whatever body and
 * Content-Type comes with them; JSON routes accept `charset` parameters.
 */
describe("REST: request shapes of the original clients", () => {
  let server: TestApp;
  let user: { username: string; key: string };
  beforeAll(async () => {
    server = await startTestApp();
    user = await registerUser(server.baseUrl, "shapes");
  });
  afterAll(async () => {
    await server?.close();
  });

  const newImage = async () => (await uploadImage(server.baseUrl, user.key, await makeImage("png"), "image/png")).id;

  it("deletes with the original web page's exact request: DELETE, Content-Type: application/json, no body", async () => {
    const id = await newImage();
    // static/script.js: fetch(`/api/v1/image/${id}`, {method: "DELETE", headers: {"Content-Type": …, "X-API-Key": …}})
    const response = await fetch(`${server.baseUrl}/api/v1/image/${id}`, {
      method: "DELETE",
      headers: { "Content-Type": "application/json", "X-API-Key": user.key },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "deleted", id });
    expect((await fetch(`${server.baseUrl}/image/${id}`, { redirect: "manual" })).status).toBe(404);
  });

  it.each([
    ["application/json; charset=UTF-8", ""],
    ["text/plain;charset=UTF-8", ""],
    ["application/x-www-form-urlencoded", ""],
    ["multipart/form-data; boundary=x", ""],
    ["application/json", "{}"],
    ["application/json", "not json at all"],
    ["application/octet-stream", "\u0000\u0001"],
  ])("ignores the body of a bodyless DELETE sent as %s %j", async (contentType, body) => {
    const id = await newImage();
    const response = await rawRequest(
      server.baseUrl,
      "DELETE",
      `/api/v1/image/${id}`,
      { "content-type": contentType, "x-api-key": user.key },
      body,
    );
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: "deleted", id });
  });

  it("accepts a bodyless DELETE with no Content-Type, chunked or not", async () => {
    for (const headers of [{}, { "transfer-encoding": "chunked" }] as Record<string, string>[]) {
      const id = await newImage();
      const response = await rawRequest(server.baseUrl, "DELETE", `/api/v1/image/${id}`, {
        ...headers,
        "x-api-key": user.key,
      });
      expect(response.status, response.body).toBe(200);
    }
  });

  it("still refuses an oversized body on a bodyless route (413), and still checks the key first", async () => {
    const id = await newImage();
    const big = "x".repeat(300 * 1024);
    const tooLarge = await rawRequest(
      server.baseUrl,
      "DELETE",
      `/api/v1/image/${id}`,
      { "content-type": "application/json", "x-api-key": user.key },
      big,
    );
    expect(tooLarge.status, tooLarge.body).toBe(413);
    expect(JSON.parse(tooLarge.body).error.code).toBe("too_large");
    const anonymous = await rest(server.baseUrl, "DELETE", `/api/v1/image/${id}`, {
      raw: "",
      contentType: "application/json",
    });
    expectError(anonymous, 401, "auth");
  });

  it("ignores a JSON body on GET-like routes", async () => {
    const id = await newImage();
    for (const body of ["", '{"limit": 1}', "{broken"]) {
      const response = await rawRequest(
        server.baseUrl,
        "GET",
        "/api/v1/me/images",
        { "content-type": "application/json", "x-api-key": user.key },
        body,
      );
      expect(response.status, response.body).toBe(200);
      expect(JSON.parse(response.body).items.map((item: { id: string }) => item.id)).toContain(id);
    }
    const health = await rawRequest(server.baseUrl, "GET", "/health", { "content-type": "application/json" }, "{}");
    expect(health.status, health.body).toBe(200);
  });

  it.each(["application/json; charset=utf-8", "application/json;charset=UTF-8", 'Application/JSON; Charset="utf-8"'])(
    "reads a JSON body sent as %s",
    async (contentType) => {
      const response = await rest(server.baseUrl, "POST", "/api/v1/login", {
        raw: JSON.stringify({ username: user.username, password: PASSWORD }),
        contentType,
      });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body.username).toBe(user.username);
    },
  );

  it("answers a POST without Content-Type or body with a clear validation error, nothing created", async () => {
    const response = await rest(server.baseUrl, "POST", "/api/v1/register");
    expectError(response, 400, "validation");
    expect(response.body.error.message).toMatch(/body/);
  });
});
