import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

/** SEC-7: depth, aliases, tokens and page size are refused before anything executes. */
describe("GraphQL limits (SEC-7)", () => {
  let server: TestApp;
  let key: string;
  beforeAll(async () => {
    server = await startTestApp();
    const r = await gql<{ register: { apiKey: string } }>(
      server.baseUrl,
      `mutation($u: String!) { register(username: $u, password: "lofty-cedar-pond-2") { apiKey } }`,
      { u: uniqueUsername("limits") },
    );
    key = r.data!.register.apiKey;
  });
  afterAll(() => server?.close());

  it("refuses a query deeper than 8 levels before executing it", async () => {
    const levels = (n: number): string => (n === 0 ? "id" : `edges { node { ${levels(n - 1)} } }`);
    const r = await gql(server.baseUrl, `{ myImages { ${levels(4)} } }`, {}, key); // 10 levels
    expect(errorCode(r)).toBe("BAD_USER_INPUT");
    expect(r.errors!.some((e) => /nested too deeply/.test(e.message))).toBe(true);
    expect(r.data ?? null).toBeNull();
  });

  it("allows 15 aliases and refuses 16", async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `m${i}: me { id }`).join(" ")} }`;
    expect((await gql(server.baseUrl, aliases(15), {}, key)).errors).toBeUndefined();
    const r = await gql(server.baseUrl, aliases(16), {}, key);
    expect(errorCode(r)).toBe("BAD_USER_INPUT");
    expect(r.errors![0]!.message).toMatch(/Too many aliases/);
  });

  it("refuses documents over 2,000 tokens", async () => {
    const many = `{ me { ${Array.from({ length: 700 }, () => "id").join(" ")} } }`; // 700 × 1 + 6 tokens: fine
    expect((await gql(server.baseUrl, many, {}, key)).errors).toBeUndefined();
    const tooMany = `{ me { ${Array.from({ length: 2100 }, () => "id").join(" ")} } }`;
    const r = await gql(server.baseUrl, tooMany, {}, key);
    expect(errorCode(r)).toBe("BAD_USER_INPUT");
    expect(r.errors![0]!.message).toMatch(/token/i);
  });

  it("keeps introspection usable (its depth is not counted)", async () => {
    const r = await gql(
      server.baseUrl,
      `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name ofType { name ofType { name } } } } } } } } } }`,
    );
    expect(r.errors).toBeUndefined();
  });

  it("refuses pages larger than 100", async () => {
    expect(errorCode(await gql(server.baseUrl, `{ myImages(first: 101) { totalCount } }`, {}, key))).toBe(
      "BAD_USER_INPUT",
    );
    expect((await gql(server.baseUrl, `{ myImages(first: 100) { totalCount } }`, {}, key)).errors).toBeUndefined();
  });
});
