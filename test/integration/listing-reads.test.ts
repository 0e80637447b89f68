import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { commandsNaming } from "../support/redis-monitor.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { registerApiKey } from "../support/upload-setups.js";
import { uploadImage } from "../support/uploads.js";

type Listed = {
  myImages: {
    totalCount?: number;
    nodes: { id: string; viewUrl?: string; variants?: { url: string }[] }[];
  };
};

/** Issue 16: a listing reads what its query selects, and nothing more. */
describe("myImages reads", () => {
  let redis: TestRedis;
  let app: TestApp;
  let key: string;
  let userId: string;
  let ids: string[];

  beforeAll(async () => {
    redis = await startTestRedis();
    app = await startTestApp({ REDIS_URL: redis.url });
    key = await registerApiKey(app.baseUrl, "lists");
    userId = (await gql<{ me: { id: string } }>(app.baseUrl, "{ me { id } }", {}, key)).data!.me.id;
    ids = [];
    for (const kind of ["png", "jpeg"] as const) {
      const bytes = await makeImage(kind, 40, 30);
      ids.push((await uploadImage(app.baseUrl, key, bytes, `image/${kind}`, { awaitProcessed: true })).id);
    }
  });
  afterAll(async () => {
    await app?.close();
    await redis?.destroy();
  });

  const list = async (selection: string) => {
    const result = await gql<Listed>(app.baseUrl, `{ myImages(first: 10) { ${selection} } }`, {}, key);
    expect(result.errors).toBeUndefined();
    return result.data!.myImages;
  };

  it("reads the usage counters only for a query that selects totalCount", async () => {
    const usageKey = `{${userId}}:usage`;
    const without = await commandsNaming(redis.url, usageKey, async () => {
      expect((await list("nodes { id }")).nodes).toHaveLength(2);
    });
    expect(without).toEqual([]);
    const withCount = await commandsNaming(redis.url, usageKey, async () => {
      expect((await list("totalCount nodes { id }")).totalCount).toBe(2);
    });
    expect(withCount.length).toBeGreaterThan(0);
  });

  it("builds viewUrl and thumbnail links when asked, with a grant for a private image", async () => {
    const hidden = await gql(
      app.baseUrl,
      `mutation($id: ID!) { setImageVisibility(id: $id, visibility: PRIVATE) { id } }`,
      { id: ids[0] },
      key,
    );
    expect(hidden.errors).toBeUndefined();
    const nodes = (await list("nodes { id viewUrl variants { url } }")).nodes;
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const [privateOne, publicOne] = [byId.get(ids[0]!)!, byId.get(ids[1]!)!];
    expect(publicOne.viewUrl).toBe(`${app.baseUrl}/image/${ids[1]}`);
    expect(privateOne.viewUrl).toMatch(new RegExp(`^${app.baseUrl}/image/${ids[0]}\\?grant=.+`));
    expect(privateOne.variants!.length).toBeGreaterThan(0);
    for (const variant of privateOne.variants!) expect(variant.url).toContain("?grant=");
    for (const url of [privateOne.viewUrl!, privateOne.variants![0]!.url, publicOne.variants![0]!.url])
      expect((await fetch(url, { redirect: "manual" })).status).toBe(302);
  });
});
