import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, gql } from "../support/graphql.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

/** SEC-6: Apollo options are explicit; SEC-8: errors leave with a code from our table and a request id. */
describe("GraphQL endpoint options (SEC-6, SEC-8)", () => {
  let open: TestApp;
  let closed: TestApp;
  beforeAll(async () => {
    [open, closed] = await Promise.all([startTestApp(), startTestApp({ GRAPHQL_EXPLORER: "false" })]);
  });
  afterAll(async () => {
    await Promise.all([open?.close(), closed?.close()]);
  });

  const INTROSPECT = `{ __schema { queryType { name } } }`;

  it("allows introspection when the explorer switch is on, and refuses it when off", async () => {
    expect((await gql(open.baseUrl, INTROSPECT)).data).toEqual({ __schema: { queryType: { name: "Query" } } });
    const refused = await gql(closed.baseUrl, INTROSPECT);
    expect(errorCode(refused)).toBe("BAD_USER_INPUT");
    expect(refused.data ?? null).toBeNull();
  });

  it("gives no schema suggestions when the explorer is off, and keeps them when on (SEC-6)", async () => {
    const REQUEST = `mutation($m: UploadMethod) {
      requestUpload(input: { filename: "a.png", contentType: "image/png", size: 10, method: $m }) { uploadId }
    }`;
    const probes: { query: string; variables?: Record<string, unknown>; hint: RegExp }[] = [
      { query: "{ mee { id } }", hint: /Did you mean "me"\?/ },
      { query: "{ me { idd } }", hint: /Did you mean "id"/ },
      {
        query: `mutation { requestUpload(input: { filename: "a", contentType: "image/png", size: 1, method: PUTT }) { uploadId } }`,
        hint: /Did you mean the enum value "PUT"/,
      },
      { query: REQUEST, variables: { m: "PUTT" }, hint: /Did you mean the enum value "PUT"/ },
      {
        query: `mutation { requestUpload(input: { filename: "a", contentType: "image/png", size: 1, sizee: 1 }) { uploadId } }`,
        hint: /Did you mean "size"/,
      },
    ];
    for (const { query, variables, hint } of probes) {
      const shown = await gql(open.baseUrl, query, variables);
      expect(shown.errors![0]!.message, query).toMatch(hint);
      const hidden = await gql(closed.baseUrl, query, variables);
      expect(errorCode(hidden), query).toBe("BAD_USER_INPUT");
      const text = JSON.stringify(hidden.errors);
      expect(text, query).not.toMatch(/Did you mean|"PUT"|"POST"|"size"|"me"|"id"/);
    }
  });

  it("refuses batched requests", async () => {
    const r = await fetch(`${open.baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ me { id } }" }, { query: "{ me { id } }" }]),
    });
    expect(r.status).toBe(400);
  });

  it("blocks simple (CSRF-able) GET requests without a preflight header", async () => {
    const simple = await fetch(`${open.baseUrl}/graphql?query=${encodeURIComponent("{ me { id } }")}`);
    expect(simple.status).toBe(400);
    const preflighted = await fetch(`${open.baseUrl}/graphql?query=${encodeURIComponent("{ me { id } }")}`, {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(preflighted.status).toBe(200);
  });

  it("gives parse and validation errors BAD_USER_INPUT, a request id and no stack trace", async () => {
    for (const query of ["{ me { id ", "{ nope }", "mutation { register(username: 1) { apiKey } }"]) {
      const r = await gql(open.baseUrl, query);
      expect(errorCode(r), query).toBe("BAD_USER_INPUT");
      const error = r.errors![0]!;
      expect(error.extensions!.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.stringify(error)).not.toMatch(/stacktrace|\.ts:|node_modules/);
    }
  });

  it("rejects persisted-query requests", async () => {
    const r = await fetch(`${open.baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "a".repeat(64) } } }),
    });
    const body = (await r.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe("BAD_USER_INPUT");
  });

  it("answers GraphQL bodies over 100 KB with 413 (SEC-7)", async () => {
    const r = await fetch(`${open.baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ me { id } } # ${"x".repeat(101 * 1024)}` }),
    });
    expect(r.status).toBe(413);
  });

  it("serves /health and a JSON 404 for unknown routes", async () => {
    const health = await fetch(`${open.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
    const missing = await fetch(`${open.baseUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
