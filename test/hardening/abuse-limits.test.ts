import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphQLResult, errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const REGISTER = `mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey } }`;
const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey } }`;
const PASSWORD = "patient-walrus-tide-8";

/**
 * SEC-3 with the real limits, on a Redis of this file's own (every test client is 127.0.0.1, so counters on the
 * shared Redis would mix with other files'). Two app nodes on that Redis show the counters are shared.
 */
describe("abuse limits (SEC-3)", () => {
  let redis: TestRedis;
  let proxied: TestApp; // TRUST_PROXY=1: X-Forwarded-For names the client
  let direct: TestApp; // TRUST_PROXY=0: the socket names the client
  let secondNode: TestApp;
  let ipCounter = 0;
  const freshIp = () => `198.51.100.${++ipCounter}`;

  beforeAll(async () => {
    redis = await startTestRedis();
    const limits = {
      REDIS_URL: redis.url,
      REGISTRATIONS_PER_IP: "5",
      REGISTRATION_ATTEMPTS_PER_IP: "12",
      LOGIN_FAILURES_PER_IP: "30",
      LOGIN_FAILURES_PER_USER: "10",
    };
    [proxied, direct, secondNode] = await Promise.all([
      startTestApp({ ...limits, TRUST_PROXY: "1" }),
      startTestApp(limits),
      startTestApp({ ...limits, TRUST_PROXY: "1" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([proxied?.close(), direct?.close(), secondNode?.close()]);
    await redis?.destroy();
  });

  const from = (ip: string) => ({ header: "x-forwarded-for", value: ip });

  async function raw(baseUrl: string, query: string, variables: Record<string, unknown>, ip: string) {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": ip },
      body: JSON.stringify({ query, variables }),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      body: (await response.json()) as { errors?: { extensions: { code: string } }[] },
    };
  }

  it("allows 5 registrations per IP per hour, then answers 429 RATE_LIMITED with Retry-After", async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++)
      expect(
        (await gql(proxied.baseUrl, REGISTER, { u: uniqueUsername("reg"), p: PASSWORD }, from(ip))).errors,
      ).toBeUndefined();
    const sixth = await raw(proxied.baseUrl, REGISTER, { u: uniqueUsername("reg"), p: PASSWORD }, ip);
    expect(sixth.status).toBe(429);
    expect(sixth.body.errors![0]!.extensions.code).toBe("RATE_LIMITED");
    expect(Number(sixth.retryAfter)).toBeGreaterThan(3000);
    expect(Number(sixth.retryAfter)).toBeLessThanOrEqual(3600);
    // Another IP is not affected, and the other node shares the counter.
    expect(
      (await gql(proxied.baseUrl, REGISTER, { u: uniqueUsername("reg"), p: PASSWORD }, from(freshIp()))).errors,
    ).toBeUndefined();
    expect(
      errorCode(await gql(secondNode.baseUrl, REGISTER, { u: uniqueUsername("reg"), p: PASSWORD }, from(ip))),
    ).toBe("RATE_LIMITED");
  });

  it("counts only registrations that created an account, and words the refusal without blaming the user", async () => {
    const ip = freshIp();
    const taken = uniqueUsername("taken");
    expect((await gql(proxied.baseUrl, REGISTER, { u: taken, p: PASSWORD }, from(freshIp()))).errors).toBeUndefined();
    // Five tries at a taken name (issue 18 point 3: these used to use up the hour's five registrations).
    for (let i = 0; i < 5; i++)
      expect(errorCode(await gql(proxied.baseUrl, REGISTER, { u: taken, p: PASSWORD }, from(ip)))).toBe("CONFLICT");
    for (let i = 0; i < 5; i++)
      expect(
        (await gql(proxied.baseUrl, REGISTER, { u: uniqueUsername("fresh"), p: PASSWORD }, from(ip))).errors,
      ).toBeUndefined();
    const sixth = await gql(proxied.baseUrl, REGISTER, { u: uniqueUsername("fresh"), p: PASSWORD }, from(ip));
    expect(errorCode(sixth)).toBe("RATE_LIMITED");
    const message = sixth.errors![0]!.message;
    expect(message).toMatch(/^New accounts from one network are limited to 5 per hour/);
    expect(message).toMatch(/You can create another in (59|60) minutes\.$/);
    expect(message).not.toMatch(/too many attempts/i);
  });

  it("caps registration attempts per IP, failed or not, against probing for taken names", async () => {
    const ip = freshIp();
    const taken = uniqueUsername("probe");
    expect((await gql(proxied.baseUrl, REGISTER, { u: taken, p: PASSWORD }, from(freshIp()))).errors).toBeUndefined();
    for (let i = 0; i < 12; i++)
      expect(errorCode(await gql(proxied.baseUrl, REGISTER, { u: taken, p: PASSWORD }, from(ip)))).toBe("CONFLICT");
    const refused = await raw(proxied.baseUrl, REGISTER, { u: uniqueUsername("probe"), p: PASSWORD }, ip);
    expect(refused.status).toBe(429);
    expect(refused.body.errors![0]!.extensions.code).toBe("RATE_LIMITED");
    expect((refused.body.errors![0] as unknown as { message: string }).message).toMatch(
      /^Too many sign-up attempts from your network in the last hour\. You can try again in (59|60) minutes\.$/,
    );
  });

  it("locks a username for the address that failed 10 times in 15 minutes, even for the right password", async () => {
    const username = uniqueUsername("victim");
    const attacker = freshIp();
    await gql(proxied.baseUrl, REGISTER, { u: username, p: PASSWORD }, from(freshIp()));
    for (let i = 0; i < 10; i++) {
      expect(
        errorCode(await gql(proxied.baseUrl, LOGIN, { u: username, p: `wrong-${i}-password` }, from(attacker))),
      ).toBe("UNAUTHENTICATED");
    }
    const locked = await raw(secondNode.baseUrl, LOGIN, { u: username, p: PASSWORD }, attacker);
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThan(800);
    expect(Number(locked.retryAfter)).toBeLessThanOrEqual(900);
  });

  it("is no lock-out lever: wrong passwords from anywhere do not block the owner's right one from another address", async () => {
    const username = uniqueUsername("owner");
    await gql(proxied.baseUrl, REGISTER, { u: username, p: PASSWORD }, from(freshIp()));
    // Ten failures from one address and one each from ten others.
    const attacker = freshIp();
    for (let i = 0; i < 10; i++) {
      expect(errorCode(await gql(proxied.baseUrl, LOGIN, { u: username, p: `wrong-${i}-pw` }, from(attacker)))).toBe(
        "UNAUTHENTICATED",
      );
      expect(errorCode(await gql(proxied.baseUrl, LOGIN, { u: username, p: `wrong-${i}-pw` }, from(freshIp())))).toBe(
        "UNAUTHENTICATED",
      );
    }
    const owner = await gql<{ login: { apiKey: string } }>(
      secondNode.baseUrl,
      LOGIN,
      { u: username, p: PASSWORD },
      from(freshIp()),
    );
    expect(owner.errors).toBeUndefined();
    expect(owner.data!.login.apiKey).toMatch(/^ih_/);
  });

  it("does not count successful logins", async () => {
    const username = uniqueUsername("regular");
    const ip = freshIp();
    await gql(proxied.baseUrl, REGISTER, { u: username, p: PASSWORD }, from(ip));
    for (let i = 0; i < 15; i++)
      expect((await gql(proxied.baseUrl, LOGIN, { u: username, p: PASSWORD }, from(ip))).errors).toBeUndefined();
  });

  it("limits failed logins per IP to 30 in 15 minutes across usernames", async () => {
    const ip = freshIp();
    const results: GraphQLResult[] = [];
    for (let i = 0; i < 31; i++)
      results.push(await gql(proxied.baseUrl, LOGIN, { u: uniqueUsername("spray"), p: "guess-password-1" }, from(ip)));
    expect(results.slice(0, 30).every((r) => errorCode(r) === "UNAUTHENTICATED")).toBe(true);
    expect(errorCode(results[30]!)).toBe("RATE_LIMITED");
  });

  it("counts every aliased login in one document (aliases cannot multiply attempts)", async () => {
    const username = uniqueUsername("alias");
    await gql(proxied.baseUrl, REGISTER, { u: username, p: PASSWORD }, from(freshIp()));
    const fields = Array.from(
      { length: 12 },
      (_, i) => `a${i}: login(username: $u, password: "wrong-guess-${i}") { apiKey }`,
    ).join("\n");
    let attempts = 0;
    const ip = freshIp();
    // Mutation fields run one after another and a failed non-null field stops the rest, so each document makes
    // exactly one attempt; every one of them is counted.
    for (let doc = 0; doc < 10; doc++) {
      const r = await raw(proxied.baseUrl, `mutation($u: String!) { ${fields} }`, { u: username }, ip);
      expect(r.body.errors!.map((e) => e.extensions.code)).toEqual(["UNAUTHENTICATED"]);
      attempts += 1;
    }
    expect(attempts).toBe(10);
    const right = `mutation($u: String!, $p: String!) { a: login(username: $u, password: $p) { apiKey } b: login(username: $u, password: $p) { apiKey } }`;
    const r = await raw(proxied.baseUrl, right, { u: username, p: PASSWORD }, ip);
    expect(r.body.errors!.map((e) => e.extensions.code)).toEqual(["RATE_LIMITED"]);
    expect(r.status).toBe(429);
  });

  it("ignores X-Forwarded-For unless TRUST_PROXY says there is a proxy", async () => {
    // All of these come from 127.0.0.1, whatever they claim.
    const results = [];
    for (let i = 0; i < 6; i++)
      results.push(await gql(direct.baseUrl, REGISTER, { u: uniqueUsername("spoof"), p: PASSWORD }, from(freshIp())));
    expect(results.slice(0, 5).every((r) => r.errors === undefined)).toBe(true);
    expect(errorCode(results[5]!)).toBe("RATE_LIMITED");
  });
});
