import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { IMAGE_EVENTS, openLiveSocket, waitForSubscribers } from "../support/live.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { DELETE_IMAGE, uploadImage } from "../support/uploads.js";
import { registerUser } from "../support/upload-setups.js";

const PASSWORD = "quiet-harbor-lantern-4";
const EVIL_ORIGIN = "https://evil.example";
const LISTED_ORIGIN = "https://app.partner.example";

async function register(baseUrl: string): Promise<{ key: string; userId: string }> {
  const { apiKey, userId } = await registerUser(baseUrl, "live");
  return { key: apiKey, userId };
}

/** Issue 14: subscriptions over graphql-ws on /graphql; auth in connection_init; limits; revocation. */
describe("imageEvents subscription", () => {
  let server: TestApp;
  const redisUrl = inject("redisUrl");

  beforeAll(async () => {
    server = await startTestApp({
      CORS_ORIGINS: LISTED_ORIGIN,
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: "2",
      WS_MAX_CONNECTIONS_PER_USER: "2",
      WS_CONNECTION_INIT_TIMEOUT_SECONDS: "1",
      WS_MAX_MESSAGE_BYTES: "4096",
      WS_CREDENTIAL_RECHECK_SECONDS: "1",
    });
  });
  afterAll(() => server?.close());

  it("delivers an owner's CREATED and DELETED to the owner only, with both connection_init forms", async () => {
    const [alice, bob] = await Promise.all([register(server.baseUrl), register(server.baseUrl)]);
    const aliceSocket = await openLiveSocket(server.baseUrl);
    const bobSocket = await openLiveSocket(server.baseUrl);
    try {
      await aliceSocket.init({ apiKey: alice.key });
      await bobSocket.init({ authorization: `Bearer ${bob.key}` });
      aliceSocket.subscribe("a");
      bobSocket.subscribe("b");
      await waitForSubscribers(redisUrl, alice.userId);
      await waitForSubscribers(redisUrl, bob.userId);

      const image = await uploadImage(server.baseUrl, alice.key, await makeImage("png"), "image/png", {
        filename: "mine.png",
      });
      // uploadImage waits until the worker has processed the image: CREATED, then READY.
      await aliceSocket.waitFor(() => aliceSocket.events("a").length === 2, "CREATED and READY");
      const shown = { id: image.id, url: image.url, filename: "mine.png" };
      expect(aliceSocket.events("a")).toEqual([
        { kind: "CREATED", imageId: image.id, image: shown },
        { kind: "READY", imageId: image.id, image: shown },
      ]);
      expect((await gql(server.baseUrl, DELETE_IMAGE, { id: image.id }, alice.key)).data).toEqual({
        deleteImage: true,
      });
      await aliceSocket.waitFor(() => aliceSocket.events("a").length === 3, "DELETED");
      expect(aliceSocket.events("a")[2]).toEqual({ kind: "DELETED", imageId: image.id, image: null });

      // Bob's subscription is live (he hears his own upload), and heard nothing of Alice's.
      const own = await uploadImage(server.baseUrl, bob.key, await makeImage("gif"), "image/gif");
      await bobSocket.waitFor(() => bobSocket.events("b").length === 2, "Bob's own events");
      expect(bobSocket.events("b").map((e) => [e.kind, e.imageId])).toEqual([
        ["CREATED", own.id],
        ["READY", own.id],
      ]);
      expect(aliceSocket.events("a")).toHaveLength(3);
    } finally {
      await Promise.all([aliceSocket.close(), bobSocket.close()]);
    }
  });

  it("accepts the session cookie only from PUBLIC_URL's origin (CSWSH)", async () => {
    const response = await fetch(`${server.baseUrl}/web/register`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.baseUrl },
      body: JSON.stringify({ username: uniqueUsername("cookie"), password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.get("set-cookie")!.split(";")[0]!;
    const { user } = (await response.json()) as { user: { id: string } };

    // Another site's page: the upgrade itself is refused.
    await expect(openLiveSocket(server.baseUrl, { origin: EVIL_ORIGIN, cookie })).rejects.toThrow(/403/);
    // A CORS-listed origin may connect, but the cookie alone does not authenticate it.
    const listed = await openLiveSocket(server.baseUrl, { origin: LISTED_ORIGIN, cookie });
    listed.socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
    expect((await listed.closed).code).toBe(4401);
    // No Origin at all (not a browser): no cookie authentication either.
    const bare = await openLiveSocket(server.baseUrl, { cookie });
    bare.socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
    expect((await bare.closed).code).toBe(4401);

    // The web app itself: the cookie works.
    const own = await openLiveSocket(server.baseUrl, { origin: server.baseUrl, cookie });
    try {
      await own.init();
      own.subscribe("s");
      await waitForSubscribers(redisUrl, user.id);
    } finally {
      await own.close();
    }
  });

  it("closes a socket within 5 s of its key being revoked", async () => {
    const owner = await register(server.baseUrl);
    const created = await gql<{ createApiKey: { key: string; apiKey: { id: string } } }>(
      server.baseUrl,
      `mutation { createApiKey(name: "watcher") { key apiKey { id } } }`,
      {},
      owner.key,
    );
    const { key, apiKey } = created.data!.createApiKey;
    const socket = await openLiveSocket(server.baseUrl);
    await socket.init({ apiKey: key });
    socket.subscribe("s");
    await waitForSubscribers(redisUrl, owner.userId);
    const revoked = await gql(
      server.baseUrl,
      `mutation($id: ID!) { revokeApiKey(id: $id) }`,
      { id: apiKey.id },
      owner.key,
    );
    expect(revoked.errors).toBeUndefined();
    const startedAt = Date.now();
    const { code } = await socket.closed;
    expect(code).toBe(4401);
    expect(Date.now() - startedAt).toBeLessThan(5000);
  });

  it("refuses bad credentials, late connection_init, extra subscriptions and connections, and big messages", async () => {
    const user = await register(server.baseUrl);
    const bad = await openLiveSocket(server.baseUrl);
    bad.socket.send(JSON.stringify({ type: "connection_init", payload: { apiKey: "ih_nope" } }));
    expect((await bad.closed).code).toBe(4401);

    const silent = await openLiveSocket(server.baseUrl);
    expect((await silent.closed).code).toBe(4408);

    const first = await openLiveSocket(server.baseUrl);
    const second = await openLiveSocket(server.baseUrl);
    const third = await openLiveSocket(server.baseUrl);
    try {
      await first.init({ apiKey: user.key });
      await second.init({ apiKey: user.key });
      third.socket.send(JSON.stringify({ type: "connection_init", payload: { apiKey: user.key } }));
      expect((await third.closed).code).toBe(4429);

      first.subscribe("1");
      first.subscribe("2");
      first.subscribe("3");
      await first.waitFor(() => first.errors("3").length > 0, "the third subscription's error");
      expect(first.errors("3")[0]!.extensions?.code).toBe("RATE_LIMITED");

      // Queries and mutations stay on HTTP.
      second.subscribe("q", "{ me { id } }");
      await second.waitFor(() => second.errors("q").length > 0, "the query's error");
      expect(second.errors("q")[0]!.extensions?.code).toBe("BAD_USER_INPUT");

      second.socket.send(
        JSON.stringify({ id: "big", type: "subscribe", payload: { query: IMAGE_EVENTS + " ".repeat(5000) } }),
      );
      expect((await second.closed).code).toBe(1009);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("answers a subscription sent over HTTP with a clear error", async () => {
    const user = await register(server.baseUrl);
    const result = await gql(server.baseUrl, IMAGE_EVENTS, {}, user.key);
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("closes every socket with 1001 (Going Away) on shutdown", async () => {
    const other = await startTestApp();
    const user = await register(other.baseUrl);
    const socket = await openLiveSocket(other.baseUrl);
    await socket.init({ apiKey: user.key });
    socket.subscribe("s");
    await waitForSubscribers(redisUrl, user.userId);
    await other.close();
    expect((await socket.closed).code).toBe(1001);
  });
});
