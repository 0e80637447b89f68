import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executionReportsOf, gql } from "../support/graphql.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { registerApiKey } from "../support/upload-setups.js";

/**
 * Issue 16: POST /graphql runs operations from plans (server/graphql/execution), graphql-js only those without
 * one. The executor reports which ran each operation on a diagnostics channel; this watches it over real HTTP.
 * (test/unit/plan-executor.test.ts compares the two executors' answers.) Reports come in the order sent; the
 * client names no operationName (each document holds one operation).
 */
describe("GraphQL over HTTP runs operations from plans", () => {
  let redis: TestRedis;
  let app: TestApp;
  let key: string;

  beforeAll(async () => {
    redis = await startTestRedis();
    app = await startTestApp({ REDIS_URL: redis.url });
    key = await registerApiKey(app.baseUrl, "planned");
  });
  afterAll(async () => {
    await app?.close();
    await redis?.destroy();
  });

  it("plans queries and mutations, and answers them", async () => {
    const reports = await executionReportsOf(async () => {
      const created = await gql<{ createApiKey: { apiKey: { name: string } } }>(
        app.baseUrl,
        "mutation Create($name: String!) { createApiKey(name: $name) { apiKey { name } } }",
        { name: "second" },
        key,
      );
      expect(created.errors).toBeUndefined();
      expect(created.data!.createApiKey.apiKey.name).toBe("second");
      const listed = await gql<{ myImages: { nodes: unknown[]; pageInfo: { hasNextPage: boolean } } }>(
        app.baseUrl,
        "query List { myImages(first: 20) { nodes { id url createdAt } pageInfo { hasNextPage } } }",
        {},
        key,
      );
      expect(listed.errors).toBeUndefined();
      expect(listed.data!.myImages).toEqual({ nodes: [], pageInfo: { hasNextPage: false } });
    });
    expect(reports).toEqual([
      { operationName: null, planned: true },
      { operationName: null, planned: true },
    ]);
  });

  it("leaves to graphql-js what has no plan, with the same answers and errors", async () => {
    const reports = await executionReportsOf(async () => {
      const included = await gql<{ me: { username: string } }>(
        app.baseUrl,
        "query Me($on: Boolean!) { me { username @include(if: $on) } }",
        { on: true },
        key,
      );
      expect(included.errors).toBeUndefined();
      expect(included.data!.me.username).toMatch(/^planned_/);
      const unauthenticated = await gql(app.baseUrl, "query Anonymous { myImages(first: 1) { nodes { id } } }");
      expect(unauthenticated.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(unauthenticated.data).toBeNull();
    });
    expect(reports).toEqual([
      { operationName: null, planned: false },
      { operationName: null, planned: true },
    ]);
  });
});
