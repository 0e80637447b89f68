import bcrypt from "bcrypt";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const REGISTER = `mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey user { id username } } }`;
const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey user { id username } } }`;
const ME = `{ me { id username } }`;
const LOGOUT = `mutation { logout }`;
const CREATE_KEY = `mutation($n: String!) { createApiKey(name: $n) { key apiKey { id name createdAt lastUsedAt expiresAt } } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeApiKey(id: $id) }`;
const API_KEYS = `{ apiKeys { id name createdAt lastUsedAt expiresAt } }`;
const PASSWORD = "vivid-otter-candle-42";

type Auth = { register: { apiKey: string; user: { id: string; username: string } } };
type Login = { login: { apiKey: string; user: { id: string; username: string } } };

let server: TestApp;
/** A client of the run's own test Redis, to check what was (not) stored. Read-only. */
let redis: Redis;

beforeAll(async () => {
  server = await startTestApp();
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

async function register(username = uniqueUsername(), password = PASSWORD) {
  const result = await gql<Auth>(server.baseUrl, REGISTER, { u: username, p: password });
  expect(result.errors).toBeUndefined();
  return { username, key: result.data!.register.apiKey, userId: result.data!.register.user.id };
}

async function accountStored(username: string): Promise<boolean> {
  return (await redis.exists(`ih:acct:{${username.normalize("NFKC").toLowerCase()}}`)) === 1;
}

describe("register (SEC-1)", () => {
  it("creates the account, logs it in and returns a prefixed credential", async () => {
    const username = uniqueUsername("Alice");
    const result = await gql<Auth>(server.baseUrl, REGISTER, { u: username, p: PASSWORD });
    expect(result.errors).toBeUndefined();
    const { apiKey, user } = result.data!.register;
    expect(apiKey).toMatch(/^ih_[A-Za-z0-9_-]{43}$/);
    expect(user.username).toBe(username);
    const me = await gql(server.baseUrl, ME, {}, apiKey);
    expect(me.data).toEqual({ me: { id: user.id, username } });
  });

  it.each([
    ["empty", ""],
    ["too short", "ab"],
    ["too long (33)", "a".repeat(33)],
    ["space", "ali ce"],
    ["slash", "ali/ce"],
    ["markup", "<script>"],
    ["emoji", "al😀ice"],
    ["non-ASCII letter", "alicé"],
    ["NUL", "ali\u0000ce"],
  ])("refuses a %s username with BAD_USER_INPUT and stores nothing", async (_label, username) => {
    const result = await gql(server.baseUrl, REGISTER, { u: username, p: PASSWORD });
    expect(errorCode(result)).toBe("BAD_USER_INPUT");
    expect(result.errors![0]!.message).toMatch(/Username must be 3 to 32/);
    expect(await accountStored(username)).toBe(false);
  });

  it("accepts 3 and 32 character names", async () => {
    const base = uniqueUsername("x").replace(/_/g, "");
    await register(base.slice(0, 3));
    await register((base + "y".repeat(32)).slice(0, 32));
  });

  it.each([
    ["7 bytes", "seven77"],
    ["73 bytes", "p".repeat(73)],
    ["73 bytes of multi-byte characters", "€".repeat(24) + "x"],
    ["a NUL character", "abcdefgh\u0000ijk"],
    ["a top-1000 password", "password"],
    ["a top-1000 password in other case", "FootBall"],
    ["a top-1000 password (digits)", "12345678"],
  ])("refuses a password of %s with BAD_USER_INPUT and stores nothing", async (_label, password) => {
    const username = uniqueUsername();
    const result = await gql(server.baseUrl, REGISTER, { u: username, p: password });
    expect(errorCode(result)).toBe("BAD_USER_INPUT");
    expect(await accountStored(username)).toBe(false);
    // Nothing half-made: the name is still free.
    await register(username);
  });

  it("accepts a password of exactly 72 bytes, and it must match in full at login", async () => {
    const password = "€".repeat(24); // 72 UTF-8 bytes
    const { username } = await register(uniqueUsername(), password);
    expect((await gql<Login>(server.baseUrl, LOGIN, { u: username, p: password })).errors).toBeUndefined();
    const wrongTail = "€".repeat(23) + "x";
    expect(errorCode(await gql(server.baseUrl, LOGIN, { u: username, p: wrongTail }))).toBe("UNAUTHENTICATED");
  });

  it("refuses a duplicate name, ignoring case and NFKC width variants, with CONFLICT", async () => {
    const { username } = await register(uniqueUsername("dup"));
    for (const variant of [username, username.toUpperCase(), toFullwidth(username)]) {
      const result = await gql(server.baseUrl, REGISTER, { u: variant, p: "another-fine-password" });
      expect(errorCode(result)).toBe("CONFLICT");
    }
    // The first owner's password still works: the conflict changed nothing.
    expect((await gql(server.baseUrl, LOGIN, { u: username, p: PASSWORD })).errors).toBeUndefined();
  });

  it("makes exactly one user out of concurrent registrations of one name", async () => {
    const username = uniqueUsername("race");
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        gql<Auth>(server.baseUrl, REGISTER, { u: i % 2 ? username : username.toUpperCase(), p: `${PASSWORD}-${i}` }),
      ),
    );
    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => errorCode(r) === "CONFLICT")).toHaveLength(11);
    const winningPassword = `${PASSWORD}-${results.indexOf(winners[0]!)}`;
    const login = await gql<Login>(server.baseUrl, LOGIN, { u: username, p: winningPassword });
    expect(login.data!.login.user.id).toBe(winners[0]!.data!.register.user.id);
  });
});

describe("login (SEC-1, SEC-2, SEC-4)", () => {
  it("logs in case-insensitively and mints a separate session each time", async () => {
    const { username, key, userId } = await register(uniqueUsername("Bob"));
    const a = await gql<Login>(server.baseUrl, LOGIN, { u: username.toLowerCase(), p: PASSWORD });
    const b = await gql<Login>(server.baseUrl, LOGIN, { u: username.toUpperCase(), p: PASSWORD });
    expect(a.data!.login.user).toEqual({ id: userId, username });
    const keys = new Set([key, a.data!.login.apiKey, b.data!.login.apiKey]);
    expect(keys.size).toBe(3);
    for (const k of keys) expect((await gql(server.baseUrl, ME, {}, k)).data).toEqual({ me: { id: userId, username } });
  });

  it("answers unknown users, malformed names and wrong passwords identically (SEC-2)", async () => {
    const { username } = await register();
    const attempts = [
      { u: username, p: "wrong-password-123" },
      { u: uniqueUsername("ghost"), p: "wrong-password-123" },
      { u: "no such/user!", p: "wrong-password-123" },
      { u: username, p: "x".repeat(73) },
    ];
    const bodies = await Promise.all(
      attempts.map(async (vars) => {
        const r = await fetch(`${server.baseUrl}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: LOGIN, variables: vars }),
        });
        const body = (await r.json()) as {
          errors: { message: string; extensions: Record<string, unknown> }[];
          data: unknown;
        };
        return {
          status: r.status,
          message: body.errors[0]!.message,
          code: body.errors[0]!.extensions.code,
          data: body.data,
        };
      }),
    );
    for (const body of bodies)
      expect(body).toEqual({
        status: 200,
        message: "Invalid username or password.",
        code: "UNAUTHENTICATED",
        data: null,
      });
  });

  it("spends a password check on unknown users too (SEC-2 timing)", async () => {
    // Lower bounds only, on the fastest of several runs: a busy machine makes logins slower, never faster, so load
    // cannot fail this. Without the dummy hash an unknown user answers in a few ms; one bcrypt check at the test
    // server's cost (BCRYPT_COST=10) takes tens.
    const fastest = async (run: () => Promise<unknown>) => {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await run();
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    const hash = await bcrypt.hash("some-password", 10);
    const oneCheck = await fastest(() => bcrypt.compare("wrong-password-123", hash));
    const unknown = await fastest(() =>
      gql(server.baseUrl, LOGIN, { u: uniqueUsername("ghost"), p: "wrong-password-123" }),
    );
    expect(unknown).toBeGreaterThan(oneCheck * 0.5);
  });

  it("rejects empty fields with BAD_USER_INPUT", async () => {
    expect(errorCode(await gql(server.baseUrl, LOGIN, { u: "", p: "" }))).toBe("BAD_USER_INPUT");
  });
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

function toFullwidth(s: string): string {
  return [...s].map((c) => (c >= "!" && c <= "~" ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join("");
}
