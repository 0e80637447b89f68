import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisKeys } from "../../server/redis/keys.js";
import { errorCode, gql } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { COMPLETE_UPLOAD, IMAGE, requestUpload, sendBytes } from "../support/uploads.js";
import { registerUser } from "../support/upload-setups.js";

const POLL_MS = 100;

/**
 * Issue 15: concurrent completeUpload calls of one upload each answer (the waiters never fall back to waiting
 * after the first attempt fails), and a waiter whose client went away stops. On a Redis of its own, so the
 * commands seen are this file's.
 */
describe("concurrent completeUpload (SEC-15)", () => {
  let redis: TestRedis;
  let server: TestApp;
  let monitor: Redis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startTestRedis();
    server = await startTestApp({ REDIS_URL: redis.url });
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    monitor?.disconnect();
    client?.disconnect();
    await server?.close();
    await redis?.destroy();
  });

  async function newUser(): Promise<{ key: string; userId: string }> {
    const { apiKey, userId } = await registerUser(server.baseUrl, "race");
    return { key: apiKey, userId };
  }

  const complete = (key: string, uploadId: string) => gql(server.baseUrl, COMPLETE_UPLOAD, { id: uploadId }, key);

  it("answers every one of 16 concurrent completes sent before the bytes, then makes one image", async () => {
    const { key } = await newUser();
    const bytes = await makeImage("png");
    const ticket = await requestUpload(server.baseUrl, key, {
      filename: "a.png",
      contentType: "image/png",
      size: bytes.length,
    });
    const early = await Promise.all(Array.from({ length: 16 }, () => complete(key, ticket.uploadId)));
    for (const result of early) {
      expect(errorCode(result)).toBe("BAD_USER_INPUT");
      expect(result.errors![0]!.message).toMatch(/send the bytes first/);
    }
    await sendBytes(ticket, bytes);
    const done = await Promise.all(Array.from({ length: 16 }, () => complete(key, ticket.uploadId)));
    for (const result of done) expect(result.errors).toBeUndefined();
    expect(new Set(done.map((r) => JSON.stringify(r.data))).size).toBe(1);
  });

  it("stops waiting when its client goes away: it neither polls on nor completes the upload later", async () => {
    const { key, userId } = await newUser();
    const bytes = await makeImage("png");
    const ticket = await requestUpload(server.baseUrl, key, {
      filename: "b.png",
      contentType: "image/png",
      size: bytes.length,
    });
    // Another completion holds the claim, so the request below waits.
    await client.set(redisKeys.completion(userId, ticket.uploadId), "1", "PX", 30_000);
    monitor = await client.monitor();
    let polls = 0;
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (args.some((arg) => arg === redisKeys.image(ticket.uploadId))) polls++;
    });
    const leaving = new AbortController();
    const abandoned = fetch(`${server.baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify({ query: COMPLETE_UPLOAD, variables: { id: ticket.uploadId } }),
      signal: leaving.signal,
    }).catch((error: unknown) => error);
    const deadline = Date.now() + 10_000;
    while (polls < 2) {
      expect(Date.now(), "the waiting request should poll").toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 20));
    }
    leaving.abort();
    expect(await abandoned).toBeInstanceOf(Error);

    // The bytes arrive and the claim is given back: a waiter still running would now complete the upload.
    await sendBytes(ticket, bytes);
    await client.del(redisKeys.completion(userId, ticket.uploadId));
    const seen = polls;
    // Nothing to await here but the absence of activity: give a live waiter five of its polls to show itself.
    await new Promise((r) => setTimeout(r, POLL_MS * 5));
    expect(polls - seen).toBeLessThanOrEqual(1);
    const image = await gql<{ image: unknown }>(server.baseUrl, IMAGE, { id: ticket.uploadId }, key);
    expect(image.data!.image).toBeNull();
  });
});
