import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { gql, uniqueUsername } from "./graphql.js";
import { startTestApp, type TestApp } from "./test-app.js";

// Shared by the account suites (test/integration/accounts*.test.ts).

export const REGISTER = `mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey user { id username } } }`;
export const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey user { id username } } }`;
export const ME = `{ me { id username } }`;
export const PASSWORD = "vivid-otter-candle-42";

export type Auth = { register: { apiKey: string; user: { id: string; username: string } } };
export type Login = { login: { apiKey: string; user: { id: string; username: string } } };

interface AccountsServer {
  server: TestApp;
  /** A client of the run's own test Redis, to check what was (not) stored. Read-only. */
  redis: Redis;
}

/**
 * Before the file's tests: a server and a Redis client; both closed afterwards. The object is filled in by then;
 * the helpers are for use inside tests.
 */
export function accountsServer() {
  const h = {} as AccountsServer;
  beforeAll(async () => {
    h.server = await startTestApp();
    h.redis = new Redis(inject("redisUrl"));
  });
  afterAll(async () => {
    h.redis?.disconnect();
    await h.server?.close();
  });

  async function register(username = uniqueUsername(), password = PASSWORD) {
    const result = await gql<Auth>(h.server.baseUrl, REGISTER, { u: username, p: password });
    expect(result.errors).toBeUndefined();
    return { username, key: result.data!.register.apiKey, userId: result.data!.register.user.id };
  }

  async function accountStored(username: string): Promise<boolean> {
    return (await h.redis.exists(`ih:acct:{${username.normalize("NFKC").toLowerCase()}}`)) === 1;
  }

  return { handle: h, register, accountStored };
}
