import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql } from "../support/graphql.js";
import { SVG, makeImage } from "../support/images.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { registerApiKey } from "../support/upload-setups.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { COMPLETE_UPLOAD, requestUpload, sendBytes, uploadImage } from "../support/uploads.js";

const TOKEN = "metrics-token-for-tests-0123456789";

/** Issue 9: Prometheus metrics behind a token, request ids on every response. */
describe("metrics and request ids", () => {
  let redis: TestRedis;
  let server: TestApp;
  let plain: TestApp;
  beforeAll(async () => {
    redis = await startTestRedis();
    [server, plain] = await Promise.all([startTestApp({ REDIS_URL: redis.url, METRICS_TOKEN: TOKEN }), startTestApp()]);
  });
  afterAll(async () => {
    await Promise.all([server?.close(), plain?.close()]);
    await redis?.destroy();
  });

  const scrape = async () =>
    (await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();

  it("guards /metrics with the token, and has none without one", async () => {
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await fetch(`${plain.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      404,
    );
  });

  it("counts requests by route pattern, upload outcomes and dependency errors", async () => {
    const key = await registerApiKey(server.baseUrl, "metrics");
    const image = await uploadImage(server.baseUrl, key, await makeImage("png"), "image/png");
    await fetch(image.url, { redirect: "manual" });
    const ticket = await requestUpload(server.baseUrl, key, {
      filename: "x.png",
      contentType: "image/png",
      size: SVG.length,
    });
    await sendBytes(ticket, SVG);
    await gql(server.baseUrl, COMPLETE_UPLOAD, { id: ticket.uploadId }, key);

    let text = await scrape();
    expect(text).toMatch(/imagehost_http_requests_total\{method="POST",route="\/graphql",status="200"\} \d+/);
    expect(text).toMatch(/imagehost_http_requests_total\{method="GET",route="\/image\/:id",status="302"\} 1/);
    expect(text).not.toContain(image.id); // route patterns, never raw URLs
    expect(text).toMatch(/imagehost_uploads_total\{outcome="completed"\} 1/);
    expect(text).toMatch(/imagehost_uploads_total\{outcome="rejected"\} 1/);
    expect(text).toMatch(
      /imagehost_http_request_duration_seconds_bucket\{le="0.1",method="POST",route="\/graphql"\} \d+/,
    );

    await redis.stop();
    try {
      expect((await gql(server.baseUrl, `{ me { id } }`, {}, key)).status).toBe(503);
      text = await scrape();
      expect(text).toMatch(/imagehost_dependency_errors_total\{dependency="redis"\} [1-9]/);
    } finally {
      await redis.start();
    }
  });

  it("names every response's request in x-request-id, matching the error body", async () => {
    const r = await fetch(`${plain.baseUrl}/nope`);
    const id = r.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await r.json()) as { error: { request_id: string } }).error.request_id).toBe(id);
    const g = await fetch(`${plain.baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"query":"{ nope }"}`,
    });
    const body = (await g.json()) as { errors: { extensions: { requestId: string } }[] };
    expect(body.errors[0]!.extensions.requestId).toBe(g.headers.get("x-request-id"));
  });

  it("answers every non-GraphQL failure in one shape with its request id: REST, links, local files and uploads, Fastify's own", async () => {
    const image = await uploadImage(
      plain.baseUrl,
      await registerApiKey(plain.baseUrl, "ids"),
      await makeImage("png"),
      "image/png",
    );
    const file = (await fetch(image.url, { redirect: "manual" })).headers.get("location")!;
    const failures: [string, RequestInit, number, string][] = [
      ["/api/v1/me/images", {}, 401, "auth"],
      [
        "/api/v1/login",
        { method: "POST", headers: { "content-type": "application/json" }, body: "{" },
        400,
        "validation",
      ],
      ["/image/AAAAAAAAAAAAAAAAAAAAAA", {}, 404, "not_found"],
      [
        "/uploads/not-a-token",
        { method: "PUT", headers: { "content-type": "image/png" }, body: "x" },
        400,
        "validation",
      ],
      ["/files/img/AAAAAAAAAAAAAAAAAAAAAA", {}, 404, "not_found"],
      [new URL(file).pathname, { headers: { range: "bytes=999999-" } }, 416, "validation"],
    ];
    for (const [path, init, status, code] of failures) {
      const r = await fetch(`${plain.baseUrl}${path}`, init);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await r.json()).toEqual({
        error: { code, message: expect.any(String), request_id: r.headers.get("x-request-id") },
      });
    }
  });
});
