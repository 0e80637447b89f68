import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { guardRedisErrors } from "../../server/redis/guard-redis-errors.js";
import { RedisAccountStore } from "../../server/redis/redis-account-store.js";
import { RedisInviteStore } from "../../server/redis/redis-invite-store.js";
import { RedisRateLimitStore } from "../../server/redis/redis-rate-limit-store.js";
import { RedisUserDirectory } from "../../server/redis/redis-user-directory.js";
import { InviteService } from "../../server/services/invite.service.js";
import { AccountService } from "../../server/services/account.service.js";
import { CredentialService } from "../../server/services/credential.service.js";
import { uniqueUsername } from "../support/graphql.js";

const TEST_ORIGIN = { clientIp: "192.0.2.1" };

/** Session idle expiry (SEC-4), driven by the service's clock against the run's real Redis. */
describe("session expiry (SEC-4)", () => {
  let redis: Redis;
  let clock = Date.now();
  let accounts: AccountService;
  let credentials: CredentialService;
  const HOUR = 3600_000;

  beforeAll(async () => {
    redis = new Redis(inject("redisUrl"));
    const store = guardRedisErrors(new RedisAccountStore(redis));
    const users = guardRedisErrors(new RedisUserDirectory(redis));
    credentials = new CredentialService(store, users, {
      adminUsernames: [],
      sessionIdleSeconds: 3600,
      now: () => clock,
    });
    accounts = await AccountService.create(
      store,
      guardRedisErrors(new RedisRateLimitStore(redis)),
      { users, invites: new InviteService(guardRedisErrors(new RedisInviteStore(redis))), credentials },
      {
        registration: "open",
        bcryptCost: 10,
        abuseLimits: {
          loginFailuresPerUsername: 1000,
          loginFailuresPerIp: 1000,
          registrationsPerIp: 1000,
          registrationAttemptsPerIp: 1000,
        },
        now: () => clock,
      },
    );
  });
  afterAll(() => redis?.disconnect());

  it("expires a session after the idle time, and each use pushes the expiry out", async () => {
    clock = Date.now();
    const username = uniqueUsername("idle");
    await accounts.register(username, "quiet-harbor-lamp-7", TEST_ORIGIN);
    const { secret, record } = await accounts.login(username, "quiet-harbor-lamp-7", TEST_ORIGIN);
    expect(record.expiresAt).toBe(clock + HOUR);

    clock += 50 * 60_000; // used after 50 minutes: expiry moves to 50 + 60
    expect((await credentials.authenticate(secret))!.credential.expiresAt).toBe(clock + HOUR);
    clock += 50 * 60_000; // 100 minutes after login, but only 50 idle
    expect((await credentials.authenticate(secret))!.username).toBe(username);
    clock += HOUR + 1; // idle for more than an hour
    await expect(credentials.authenticate(secret)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("never lets an API key expire by idleness", async () => {
    clock = Date.now();
    const username = uniqueUsername("keys");
    const session = await accounts.register(username, "quiet-harbor-lamp-7", TEST_ORIGIN);
    const viewer = (await credentials.authenticate(session.secret))!;
    const key = await credentials.createApiKey(viewer, "backup job");
    clock += 400 * 24 * HOUR;
    expect((await credentials.authenticate(key.secret))!.userId).toBe(viewer.userId);
  });
});
