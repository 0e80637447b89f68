import type { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import { LOGIN, type Login, ME, PASSWORD, accountsServer } from "../support/accounts.js";
import { errorCode, gql } from "../support/graphql.js";
import type { TestApp } from "../support/test-app.js";

/** Accounts over GraphQL: what a credential is and does, API keys and logout (SEC-4). */

const LOGOUT = `mutation { logout }`;
const CREATE_KEY = `mutation($n: String!) { createApiKey(name: $n) { key apiKey { id name createdAt lastUsedAt expiresAt } } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeApiKey(id: $id) }`;
const API_KEYS = `{ apiKeys { id name createdAt lastUsedAt expiresAt } }`;

const { handle, register } = accountsServer();
let server: TestApp;
let redis: Redis;
beforeAll(() => {
  ({ server, redis } = handle);
});

describe("credentials (SEC-4)", () => {
  it("accepts X-API-Key and Authorization: Bearer; rejects malformed, unknown and non-Bearer credentials", async () => {
    const { key, username } = await register();
    const bearer = await gql(server.baseUrl, ME, {}, { header: "authorization", value: `Bearer ${key}` });
    expect(bearer.data).toMatchObject({ me: { username } });
    const unknownKey = "ih_" + "A".repeat(43);
    for (const bad of ["ih_short", "garbage", unknownKey, key.slice(0, -1) + (key.endsWith("A") ? "B" : "A"), ""]) {
      const r = await gql(server.baseUrl, ME, {}, bad);
      expect(errorCode(r), bad).toBe("UNAUTHENTICATED");
    }
    const basic = await gql(
      server.baseUrl,
      ME,
      {},
      { header: "authorization", value: `Basic ${Buffer.from("a:b").toString("base64")}` },
    );
    expect(errorCode(basic)).toBe("UNAUTHENTICATED");
  });

  it("never reads a credential from the URL", async () => {
    const { key } = await register();
    const r = await fetch(`${server.baseUrl}/graphql?api_key=${key}&apiKey=${key}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: ME }),
    });
    expect(await r.json()).toEqual({ data: { me: null } });
  });

  it("returns null for me when no credential is sent, and UNAUTHENTICATED for account operations", async () => {
    expect((await gql(server.baseUrl, ME)).data).toEqual({ me: null });
    expect(errorCode(await gql(server.baseUrl, API_KEYS))).toBe("UNAUTHENTICATED");
    expect(errorCode(await gql(server.baseUrl, CREATE_KEY, { n: "x" }))).toBe("UNAUTHENTICATED");
    expect(errorCode(await gql(server.baseUrl, REVOKE_KEY, { id: "x" }))).toBe("UNAUTHENTICATED");
    expect(errorCode(await gql(server.baseUrl, LOGOUT))).toBe("UNAUTHENTICATED");
  });

  it("stores secrets only as SHA-256 hashes", async () => {
    const { key, username } = await register();
    const created = await gql<{ createApiKey: { key: string } }>(server.baseUrl, CREATE_KEY, { n: "laptop" }, key);
    const apiKey = created.data!.createApiKey.key;
    const dump: string[] = [];
    for (const k of await redis.keys("ih:*")) {
      const type = await redis.type(k);
      dump.push(k);
      if (type === "hash") dump.push(...Object.entries(await redis.hgetall(k)).flat());
      if (type === "string") dump.push((await redis.get(k)) ?? "");
    }
    const everything = dump.join("\n");
    expect(everything).toContain(username);
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(apiKey);
    expect(everything).not.toContain(key.slice(3));
  });

  it("gives sessions an idle expiry of 30 days and API keys none", async () => {
    const { key } = await register();
    const created = await gql<{ createApiKey: { apiKey: { expiresAt: string | null } } }>(
      server.baseUrl,
      CREATE_KEY,
      { n: "ci" },
      key,
    );
    expect(created.data!.createApiKey.apiKey.expiresAt).toBeNull();
    const { createHash } = await import("node:crypto");
    const ttl = await redis.pttl(`ih:cred:{${createHash("sha256").update(key).digest("hex")}}`);
    const thirtyDays = 30 * 24 * 3600 * 1000;
    expect(ttl).toBeGreaterThan(thirtyDays - 60_000);
    expect(ttl).toBeLessThanOrEqual(thirtyDays);
  });
});

describe("API keys (SEC-4)", () => {
  it("creates several named keys, lists them without secrets, tracks last use, and revokes from the next request", async () => {
    const { key: session } = await register();
    const made = [];
    for (const name of ["laptop", "ci runner", "phone"]) {
      const r = await gql<{
        createApiKey: {
          key: string;
          apiKey: { id: string; name: string; createdAt: string; lastUsedAt: string | null };
        };
      }>(server.baseUrl, CREATE_KEY, { n: name }, session);
      expect(r.errors).toBeUndefined();
      expect(r.data!.createApiKey.key).toMatch(/^ih_/);
      expect(r.data!.createApiKey.apiKey).toMatchObject({ name, lastUsedAt: null });
      expect(Date.parse(r.data!.createApiKey.apiKey.createdAt)).toBeGreaterThan(Date.now() - 60_000);
      made.push(r.data!.createApiKey);
    }
    // Use one key, then list with another.
    expect((await gql(server.baseUrl, ME, {}, made[0]!.key)).data).toMatchObject({ me: {} });
    const listed = await gql<{ apiKeys: { id: string; name: string; lastUsedAt: string | null }[] }>(
      server.baseUrl,
      API_KEYS,
      {},
      made[1]!.key,
    );
    expect(listed.data!.apiKeys.map((k) => k.name)).toEqual(["laptop", "ci runner", "phone"]);
    expect(listed.data!.apiKeys[0]!.lastUsedAt).not.toBeNull();
    expect(listed.data!.apiKeys[2]!.lastUsedAt).toBeNull();
    expect(JSON.stringify(listed)).not.toContain(made[0]!.key);

    const revoked = await gql(server.baseUrl, REVOKE_KEY, { id: made[0]!.apiKey.id }, session);
    expect(revoked.data).toEqual({ revokeApiKey: true });
    expect(errorCode(await gql(server.baseUrl, ME, {}, made[0]!.key))).toBe("UNAUTHENTICATED");
    expect((await gql(server.baseUrl, ME, {}, made[1]!.key)).errors).toBeUndefined();
    const after = await gql<{ apiKeys: { name: string }[] }>(server.baseUrl, API_KEYS, {}, session);
    expect(after.data!.apiKeys.map((k) => k.name)).toEqual(["ci runner", "phone"]);
    // Revoking again is NOT_FOUND: it is gone.
    expect(errorCode(await gql(server.baseUrl, REVOKE_KEY, { id: made[0]!.apiKey.id }, session))).toBe("NOT_FOUND");
  });

  it("will not let one user see or revoke another's keys", async () => {
    const alice = await register();
    const mallory = await register();
    const r = await gql<{ createApiKey: { key: string; apiKey: { id: string } } }>(
      server.baseUrl,
      CREATE_KEY,
      { n: "alice's" },
      alice.key,
    );
    const id = r.data!.createApiKey.apiKey.id;
    expect(errorCode(await gql(server.baseUrl, REVOKE_KEY, { id }, mallory.key))).toBe("NOT_FOUND");
    expect((await gql<{ apiKeys: unknown[] }>(server.baseUrl, API_KEYS, {}, mallory.key)).data!.apiKeys).toEqual([]);
    expect((await gql(server.baseUrl, ME, {}, r.data!.createApiKey.key)).data).toMatchObject({
      me: { id: alice.userId },
    });
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
    ["too long", "k".repeat(65)],
    ["control characters", "bad\u0007name"],
  ])("refuses a %s key name and creates nothing", async (_label, name) => {
    const { key } = await register();
    expect(errorCode(await gql(server.baseUrl, CREATE_KEY, { n: name }, key))).toBe("BAD_USER_INPUT");
    expect((await gql<{ apiKeys: unknown[] }>(server.baseUrl, API_KEYS, {}, key)).data!.apiKeys).toEqual([]);
  });
});

describe("logout (SEC-4)", () => {
  it("revokes only the credential used, from the next request", async () => {
    const { username, key: first } = await register();
    const second = (await gql<Login>(server.baseUrl, LOGIN, { u: username, p: PASSWORD })).data!.login.apiKey;
    const apiKey = (await gql<{ createApiKey: { key: string } }>(server.baseUrl, CREATE_KEY, { n: "script" }, first))
      .data!.createApiKey.key;
    expect((await gql(server.baseUrl, LOGOUT, {}, first)).data).toEqual({ logout: true });
    expect(errorCode(await gql(server.baseUrl, ME, {}, first))).toBe("UNAUTHENTICATED");
    expect(errorCode(await gql(server.baseUrl, LOGOUT, {}, first))).toBe("UNAUTHENTICATED");
    expect((await gql(server.baseUrl, ME, {}, second)).errors).toBeUndefined();
    expect((await gql(server.baseUrl, ME, {}, apiKey)).errors).toBeUndefined();
    // Logging out with an API key revokes that key.
    expect((await gql(server.baseUrl, LOGOUT, {}, apiKey)).data).toEqual({ logout: true });
    expect(errorCode(await gql(server.baseUrl, ME, {}, apiKey))).toBe("UNAUTHENTICATED");
  });
});
