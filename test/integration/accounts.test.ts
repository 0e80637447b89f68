import bcrypt from "bcrypt";
import { beforeAll, describe, expect, it } from "vitest";
import { type Auth, LOGIN, type Login, ME, PASSWORD, REGISTER, accountsServer } from "../support/accounts.js";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import type { TestApp } from "../support/test-app.js";

/**
 * Accounts over GraphQL: registering and logging in (SEC-1, SEC-2). Credentials, API keys and logout:
 * accounts-credentials.test.ts.
 */

const { handle, register, accountStored } = accountsServer();
let server: TestApp;
beforeAll(() => {
  ({ server } = handle);
});

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

function toFullwidth(s: string): string {
  return [...s].map((c) => (c >= "!" && c <= "~" ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join("");
}
