import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeImage } from "../support/images.js";
import { type LiveSocket, openLiveSocket, waitForSubscribers } from "../support/live.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { uploadImage } from "../support/uploads.js";
import { registerUser } from "../support/upload-setups.js";

/** Issue 14 point 3: Redis goes away → subscribers are told; after it returns, subscribing works again. */
describe("live updates through a Redis outage", () => {
  let redis: TestRedis;
  let server: TestApp;

  beforeAll(async () => {
    // AOF with fsync on every write: the account survives the kill, as it would on a production Redis.
    redis = await startTestRedis({ appendOnly: true });
    server = await startTestApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.destroy();
  });

  it("closes subscribers with 1013 when Redis dies, and delivers again once it is back", async () => {
    const { apiKey, userId } = await registerUser(server.baseUrl, "outage");
    const before = await openLiveSocket(server.baseUrl);
    await before.init({ apiKey });
    before.subscribe("s");
    await waitForSubscribers(redis.url, userId);

    await redis.kill();
    const { code } = await before.closed;
    expect(code).toBe(1013);

    // While Redis is down, a new connection is told to try again later rather than left hanging.
    const during = await openLiveSocket(server.baseUrl);
    during.socket.send(JSON.stringify({ type: "connection_init", payload: { apiKey } }));
    expect((await during.closed).code).toBe(1013);

    await redis.start();
    // Reconnect with backoff, as a client would, until a subscription is live again.
    let after: LiveSocket | null = null;
    const deadline = Date.now() + 15_000;
    for (let wait = 100; !after; wait = Math.min(wait * 2, 1000)) {
      const attempt = await openLiveSocket(server.baseUrl);
      try {
        await attempt.init({ apiKey });
        attempt.subscribe("s");
        await waitForSubscribers(redis.url, userId);
        after = attempt;
      } catch (error) {
        await attempt.close();
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    try {
      const image = await uploadImage(server.baseUrl, apiKey, await makeImage("png"), "image/png");
      await after.waitFor(() => after.events("s").some((e) => e.imageId === image.id), "the CREATED event");
    } finally {
      await after.close();
    }
  });
});
