import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinkCache } from "../../server/services/link-cache.js";
import { gql } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { commandsNaming, monitoredCommands } from "../support/redis-monitor.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { until } from "../support/until.js";
import { registerApiKey } from "../support/upload-setups.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { DELETE_IMAGE, uploadImage } from "../support/uploads.js";

const CHANGES_CHANNEL = "ih:changes:images";

/** Issue 16: the public link's in-process cache, and what keeps it honest across nodes. */
describe("link cache", () => {
  let redis: TestRedis;
  let probe: Redis;
  let nodeA: TestApp;
  let nodeB: TestApp;
  let key: string;

  beforeAll(async () => {
    redis = await startTestRedis();
    probe = new Redis(redis.url);
    [nodeA, nodeB] = await Promise.all([
      startTestApp({ REDIS_URL: redis.url }),
      startTestApp({ REDIS_URL: redis.url }),
    ]);
    key = await registerApiKey(nodeA.baseUrl, "cache");
  });
  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    probe?.disconnect();
    await redis?.destroy();
  });

  const status = async (app: TestApp, id: string) =>
    (await fetch(`${app.baseUrl}/image/${id}`, { redirect: "manual" })).status;
  it("serves a hot link without reading Redis, and a delete on node A is a 404 on node B within a second", async () => {
    const image = await uploadImage(nodeA.baseUrl, key, await makeImage("png"), "image/png");
    expect(await status(nodeB, image.id)).toBe(302);
    const reads = await commandsNaming(redis.url, `{${image.id}}`, async () => {
      for (let i = 0; i < 20; i++) expect(await status(nodeB, image.id)).toBe(302);
    });
    expect(reads).toEqual([]);

    expect((await gql(nodeA.baseUrl, DELETE_IMAGE, { id: image.id }, key)).errors).toBeUndefined();
    await until(
      "node B stops redirecting",
      () => status(nodeB, image.id),
      (s) => s === 404,
      1000,
    );
  });

  it("a link made private on node A stops redirecting on node B within a second", async () => {
    const image = await uploadImage(nodeA.baseUrl, key, await makeImage("png"), "image/png");
    expect(await status(nodeB, image.id)).toBe(302);
    expect(await status(nodeB, image.id)).toBe(302);
    const hidden = await gql(
      nodeA.baseUrl,
      `mutation($id: ID!) { setImageVisibility(id: $id, visibility: PRIVATE) { id } }`,
      { id: image.id },
      key,
    );
    expect(hidden.errors).toBeUndefined();
    await until(
      "node B stops redirecting",
      () => status(nodeB, image.id),
      (s) => s === 404,
      1000,
    );
  });

  it("announces each change to an image record in the script that makes it: no writer can stop in between", async () => {
    // A PUBLISH sent after the write's answer is lost when the writer is killed or cut off in between, and the
    // other nodes then serve the old record from their caches until its backstop expiry (minutes).
    let id = "";
    const commands = await monitoredCommands(redis.url, "", async () => {
      id = (await uploadImage(nodeA.baseUrl, key, await makeImage("png"), "image/png")).id;
      const hide = `mutation($id: ID!) { setImageVisibility(id: $id, visibility: PRIVATE) { id } }`;
      expect((await gql(nodeA.baseUrl, hide, { id }, key)).errors).toBeUndefined();
      expect((await gql(nodeA.baseUrl, DELETE_IMAGE, { id }, key)).errors).toBeUndefined();
    });
    const announcements = commands.filter(
      ({ args }) => args[0]?.toUpperCase() === "PUBLISH" && args[1] === CHANGES_CHANNEL && args[2] === id,
    );
    // Recorded, processed, made private, marked deleted, removed.
    expect(announcements.length).toBeGreaterThanOrEqual(5);
    expect(announcements.filter(({ fromScript }) => !fromScript)).toEqual([]);
  });

  it("serves nothing stale after losing the change feed: changes made while it was down are not missed", async () => {
    const image = await uploadImage(nodeA.baseUrl, key, await makeImage("png"), "image/png");
    expect(await status(nodeB, image.id)).toBe(302);
    expect(await status(nodeB, image.id)).toBe(302);
    // A change nobody announces, as if its announcement was published while node B's feed was down.
    await probe.hset(`ih:img:{${image.id}}`, "status", "deleting");
    expect(Number(await probe.call("CLIENT", "KILL", "TYPE", "pubsub"))).toBeGreaterThan(0);
    await until(
      "both nodes watching again",
      async () => ((await probe.pubsub("NUMSUB", CHANGES_CHANNEL)) as [string, number])[1],
      (n) => n >= 2,
      5000,
    );
    expect(await status(nodeB, image.id)).toBe(404);
  });

  it("is bounded: a million distinct ids keep at most maxEntries", async () => {
    const cache = new LinkCache<{ key: string }>({ maxEntries: 1000, ttlMs: 60_000 });
    cache.restored();
    for (let i = 0; i < 1_000_000; i++) await cache.get(`id-${i}`, async (id) => ({ key: id }));
    expect(cache.size).toBe(1000);
    // The most recent ids are the ones kept.
    let loads = 0;
    await cache.get("id-999999", async (id) => (loads++, { key: id }));
    expect(loads).toBe(0);
  });

  it("takes memory for the entries it holds, not for maxEntries up front", () => {
    const before = process.memoryUsage().heapUsed;
    // Arrays sized for every possible entry would make these eight empty caches take over 250 MB.
    const caches = Array.from({ length: 8 }, () => new LinkCache({ maxEntries: 1_000_000, ttlMs: 60_000 }));
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
    expect(caches.map((cache) => cache.size)).toEqual(Array(8).fill(0));
  });

  it("keeps nothing while the feed is down, nor an answer read across a change", async () => {
    const cache = new LinkCache<{ key: string }>({ maxEntries: 10, ttlMs: 60_000 });
    let loads = 0;
    const load = async (id: string) => (loads++, { key: id });
    await cache.get("a", load);
    await cache.get("a", load);
    expect(loads).toBe(2);
    cache.restored();
    await cache.get("a", async (id) => {
      cache.changed("a");
      return load(id);
    });
    await cache.get("a", load);
    expect(loads).toBe(4);
    await cache.get("a", load);
    expect(loads).toBe(4);
    cache.lost();
    await cache.get("a", load);
    expect(loads).toBe(5);
  });
});
