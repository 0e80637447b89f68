import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { s3Env, startS3rver, type RunningS3rver } from "../support/s3rver.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import {
  DELETE_IMAGE,
  IMAGE_FIELDS,
  REQUEST_UPLOAD,
  type ImageData,
  fetchPublic,
  uploadImage,
} from "../support/uploads.js";

const REGISTER = `mutation($u: String!) { register(username: $u, password: "steady-lantern-brook-4") { apiKey } }`;
const MY_IDS = `{ myImages(first: 100) { totalCount nodes { id } } }`;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check().catch(() => false))) {
    if (performance.now() - started > timeoutMs) throw new Error(`not recovered within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return performance.now() - started;
}

/**
 * SEC-14: the test's own redis-server (AOF, fsync always) is killed while requests are in flight and restarted on
 * the same port; the app must answer 503 quickly, stay up, recover by itself, and lose no acknowledged image.
 */
describe("Redis outage (SEC-14, SEC-17)", () => {
  let redis: TestRedis;
  let server: TestApp;
  const logLines: { level: number; requestId?: string; err?: { type?: string } }[] = [];

  beforeAll(async () => {
    redis = await startTestRedis({ appendOnly: true });
    server = await startTestApp(
      { REDIS_URL: redis.url, LOG_LEVEL: "warn" },
      { logStream: { write: (line) => void logLines.push(JSON.parse(line)) } },
    );
  });
  afterAll(async () => {
    await server?.close();
    await redis?.destroy();
  });

  it("answers 503 within 3 s while Redis is down, stays up, and recovers within 10 s with nothing lost", async () => {
    const key = (await gql<{ register: { apiKey: string } }>(server.baseUrl, REGISTER, { u: uniqueUsername("outage") }))
      .data!.register.apiKey;
    const acknowledged: ImageData[] = [];
    for (let i = 0; i < 3; i++)
      acknowledged.push(await uploadImage(server.baseUrl, key, await makeImage("png"), "image/png"));

    // Requests in flight when Redis dies.
    const inFlight = Array.from({ length: 20 }, () => timed(() => gql(server.baseUrl, MY_IDS, {}, key)));
    await redis.kill();
    for (const { value, ms } of await Promise.all(inFlight)) {
      expect(ms).toBeLessThan(3000);
      if (value.errors) {
        expect(value.status).toBe(503);
        expect(value.errors[0]!.extensions!.code).toBe("SERVICE_UNAVAILABLE");
      }
    }

    // While it is down: every kind of request answers 503 quickly, with no internals leaked.
    const probes = [
      () => gql(server.baseUrl, MY_IDS, {}, key),
      () => gql(server.baseUrl, REGISTER, { u: uniqueUsername("down") }),
      () => gql(server.baseUrl, `mutation { login(username: "someone", password: "whatever-pass") { apiKey } }`),
      () =>
        gql(server.baseUrl, REQUEST_UPLOAD, { input: { filename: "a.png", contentType: "image/png", size: 10 } }, key),
      () => gql(server.baseUrl, `query($id: ID!) { image(id: $id) { ${IMAGE_FIELDS} } }`, { id: acknowledged[0]!.id }),
    ];
    const outageRequestIds: string[] = [];
    for (const probe of probes) {
      const { value, ms } = await timed(probe);
      expect(ms).toBeLessThan(3000);
      expect(value.status).toBe(503);
      expect(value.errors![0]!.extensions!.code).toBe("SERVICE_UNAVAILABLE");
      expect(JSON.stringify(value.errors)).not.toMatch(/redis|ECONNREFUSED|6379|ioredis/i);
      outageRequestIds.push(value.errors![0]!.extensions!.requestId as string);
    }
    const link = await timed(() => fetch(acknowledged[0]!.url, { redirect: "manual" }));
    expect(link.ms).toBeLessThan(3000);
    expect(link.value.status).toBe(503);
    expect(await link.value.json()).toMatchObject({ error: { code: "unavailable" } });
    outageRequestIds.push(link.value.headers.get("x-request-id")!);

    // One log level for an outage on every edge (GraphQL and the link alike): warn (40), never error (50).
    const outageLines = logLines.filter((line) => line.err?.type === "DependencyUnavailableError");
    expect(new Set(outageLines.map((line) => line.level))).toEqual(new Set([40]));
    const logged = new Set(outageLines.map((line) => line.requestId));
    for (const id of outageRequestIds) expect(logged).toContain(id);
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);

    // Redis returns on the same port: the app recovers by itself.
    await redis.start();
    const recoveredIn = await waitUntil(
      async () => (await gql(server.baseUrl, MY_IDS, {}, key)).errors === undefined,
      10_000,
    );
    expect(recoveredIn).toBeLessThan(10_000);

    // Nothing acknowledged was lost (AOF).
    const after = await gql<{ myImages: { totalCount: number; nodes: { id: string }[] } }>(
      server.baseUrl,
      MY_IDS,
      {},
      key,
    );
    expect(after.data!.myImages.nodes.map((n) => n.id).sort()).toEqual(acknowledged.map((a) => a.id).sort());
    expect(after.data!.myImages.totalCount).toBe(3);
    for (const image of acknowledged) expect((await fetchPublic(image.url)).status).toBe(200);
  });
});

/** Storage outage: uploads and deletes fail cleanly with nothing half-recorded; existing links still redirect. */
describe("S3 outage", () => {
  let s3: RunningS3rver;
  let server: TestApp;

  beforeAll(async () => {
    s3 = await startS3rver();
    server = await startTestApp({
      ...s3Env(s3),
    });
  });
  afterAll(async () => {
    await server?.close();
    await s3?.stop();
  });

  it("fails uploads and deletes with SERVICE_UNAVAILABLE and keeps serving existing links", async () => {
    const key = (await gql<{ register: { apiKey: string } }>(server.baseUrl, REGISTER, { u: uniqueUsername("s3down") }))
      .data!.register.apiKey;
    const image = await uploadImage(server.baseUrl, key, await makeImage("jpeg"), "image/jpeg");
    const doomed = await uploadImage(server.baseUrl, key, await makeImage("gif"), "image/gif");
    const bytes = await makeImage("png");
    const pending = await gql<{ requestUpload: { uploadId: string } }>(
      server.baseUrl,
      REQUEST_UPLOAD,
      { input: { filename: "b.png", contentType: "image/png", size: bytes.length } },
      key,
    );
    await s3.stop();

    const complete = await timed(() =>
      gql(
        server.baseUrl,
        `mutation($id: ID!) { completeUpload(uploadId: $id) { id } }`,
        { id: pending.data!.requestUpload.uploadId },
        key,
      ),
    );
    expect(complete.value.errors![0]!.extensions!.code).toBe("SERVICE_UNAVAILABLE");
    expect(complete.ms).toBeLessThan(10_000);
    const removal = await gql(server.baseUrl, DELETE_IMAGE, { id: doomed.id }, key);
    expect(removal.errors![0]!.extensions!.code).toBe("SERVICE_UNAVAILABLE");

    // Other links still redirect (signing needs no network), and nothing half-made is listed: the failed upload
    // has no record, and the failed delete stays marked (SEC-16: never a record without bytes) for a retry or the
    // sweeper to finish once storage is back.
    const link = await fetch(image.url, { redirect: "manual" });
    expect(link.status).toBe(302);
    expect((await fetch(doomed.url, { redirect: "manual" })).status).toBe(404);
    const listed = await gql<{ myImages: { nodes: { id: string }[] } }>(server.baseUrl, MY_IDS, {}, key);
    expect(listed.data!.myImages.nodes.map((n) => n.id)).toEqual([image.id]);
  });
});
