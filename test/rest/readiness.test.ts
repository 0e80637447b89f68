import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotReadyError, ReadinessService } from "../../server/services/readiness.service.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { startS3rver, type RunningS3rver } from "../support/s3rver.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { rest, s3Env, waitUntil, type RestResponse } from "./rest-client.js";

/** REST-CONTRACT.md rows `GET /health` and `GET /redis-check`, readiness (`GET /ready`), and SEC-14's outage story. */

/** The 503 body of the readiness routes: the contract's error body plus which dependencies are down. */
function expectUnavailable(response: RestResponse, down: string[]): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status: 503,
    body: {
      error: { code: "unavailable", message: expect.any(String), request_id: expect.any(String), unavailable: down },
    },
  });
  for (const dependency of down) expect(response.body.error.message).toContain(dependency);
}

/** Sends one request and checks SEC-14's bound: an answer within 3 s, whatever is down. */
async function timed(baseUrl: string, path: string, init: { key?: string } = {}): Promise<RestResponse> {
  const started = Date.now();
  const response = await rest(baseUrl, "GET", path, init);
  expect(Date.now() - started, `${path} took too long`).toBeLessThan(3_000);
  return response;
}

describe("with everything up", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server?.close());

  it("GET /health → 200 {status: ok}", async () => {
    const r = await rest(server.baseUrl, "GET", "/health");
    expect([r.status, r.body]).toEqual([200, { status: "ok" }]);
  });

  it("GET /redis-check → 200 {redis: true}", async () => {
    const r = await rest(server.baseUrl, "GET", "/redis-check");
    expect([r.status, r.body]).toEqual([200, { redis: true }]);
  });

  it("GET /ready → 200 with each check", async () => {
    const r = await rest(server.baseUrl, "GET", "/ready");
    expect([r.status, r.body]).toEqual([200, { status: "ready", checks: { redis: "ok", storage: "ok" } }]);
  });
});

describe("when Redis goes down and comes back (SEC-14)", () => {
  let redis: TestRedis;
  let server: TestApp;
  beforeAll(async () => {
    // Append-only, so the account made before the outage is still there after it.
    redis = await startTestRedis({ appendOnly: true });
    server = await startTestApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.destroy();
  });

  it("answers 503 unavailable within 3 s, then 200 again by itself once Redis is back", async () => {
    const register = await rest(server.baseUrl, "POST", "/api/v1/register", {
      json: { username: "outage_user", password: "sturdy-maple-orbit-5" },
    });
    const key = register.body.api_key as string;
    expect((await timed(server.baseUrl, "/redis-check")).status).toBe(200);

    await redis.stop();
    expectUnavailable(await timed(server.baseUrl, "/redis-check"), ["redis"]);
    expectUnavailable(await timed(server.baseUrl, "/ready"), ["redis"]);
    const listed = await timed(server.baseUrl, "/api/v1/me/images", { key });
    expect([listed.status, listed.body.error?.code]).toEqual([503, "unavailable"]);
    // Liveness is not readiness: the process is still up.
    expect((await timed(server.baseUrl, "/health")).status).toBe(200);

    await redis.start();
    await waitUntil(
      async () => (await rest(server.baseUrl, "GET", "/redis-check")).status === 200,
      10_000,
      "/redis-check to answer 200",
    );
    expect((await rest(server.baseUrl, "GET", "/redis-check")).body).toEqual({ redis: true });
    expect((await rest(server.baseUrl, "GET", "/ready")).status).toBe(200);
    expect((await rest(server.baseUrl, "GET", "/api/v1/me/images", { key })).body).toEqual({ items: [] });
  });
});

describe("when storage goes down (s3 driver)", () => {
  let s3: RunningS3rver;
  let server: TestApp;
  beforeAll(async () => {
    s3 = await startS3rver();
    server = await startTestApp(s3Env(s3));
  });
  afterAll(async () => {
    await server?.close();
    await s3?.stop();
  });

  it("GET /ready → 503 naming storage, while /redis-check stays 200", async () => {
    expect((await rest(server.baseUrl, "GET", "/ready")).status).toBe(200);
    await s3.stop();
    expectUnavailable(await timed(server.baseUrl, "/ready"), ["storage"]);
    expect((await timed(server.baseUrl, "/redis-check")).status).toBe(200);
  });
});

describe("ReadinessService", () => {
  it("counts a probe that hangs as down once its time is up, and probes in parallel", async () => {
    const readiness = new ReadinessService({ redis: async () => {}, storage: () => new Promise<void>(() => {}) }, 200);
    const started = Date.now();
    const failure = await readiness.assertReady().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NotReadyError);
    expect((failure as NotReadyError).unavailable).toEqual(["storage"]);
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(readiness.assertRedis()).resolves.toBeUndefined();
  });

  it("names every dependency that fails, even one whose probe throws at once", async () => {
    const readiness = new ReadinessService({
      redis: () => {
        throw new Error("connection is closed");
      },
      storage: async () => {
        throw new Error("bucket gone");
      },
    });
    const failure = (await readiness.assertReady().catch((error: unknown) => error)) as NotReadyError;
    expect(failure.unavailable).toEqual(["redis", "storage"]);
    expect(failure.message).toBe("Not ready: redis and storage are unavailable.");
    expect(failure.details).toEqual({ unavailable: ["redis", "storage"] });
  });
});
