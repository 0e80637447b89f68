import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const PASSWORD = "amber-kettle-orbit-52";
const REGISTER = `mutation($u: String!, $p: String!, $code: String) {
  register(username: $u, password: $p, inviteCode: $code) { apiKey user { id username isAdmin } }
}`;
const CREATE_INVITE = `mutation($input: CreateInviteInput!) {
  createInvite(input: $input) { id code note expiresAt usedAt usedBy createdAt createdBy }
}`;
const INVITES = `{ invites { id code note usedAt usedBy createdBy } }`;

interface Invite {
  id: string;
  code: string | null;
  note: string;
  usedAt: string | null;
  usedBy: string | null;
  createdBy: string;
}

const register = (app: TestApp, username: string, code?: string | null) =>
  gql<{ register: { apiKey: string; user: { id: string; username: string; isAdmin: boolean } } }>(
    app.baseUrl,
    REGISTER,
    { u: username, p: PASSWORD, code: code ?? null },
  );

const restRegister = (app: TestApp, body: Record<string, unknown>) =>
  fetch(`${app.baseUrl}/api/v1/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: PASSWORD, ...body }),
  });

describe("REGISTRATION=closed", () => {
  const admin = uniqueUsername("root");
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ REGISTRATION: "closed", ADMIN_USERNAMES: admin });
  });
  afterAll(() => app?.close());

  it("refuses everyone with FORBIDDEN (403 over REST), and nothing is created", async () => {
    const name = uniqueUsername("shut");
    const refused = await register(app, name);
    expect(errorCode(refused)).toBe("FORBIDDEN");
    expect(refused.errors![0]!.message).toMatch(/closed/);
    const rest = await restRegister(app, { username: name });
    expect(rest.status).toBe(403);
    expect(((await rest.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    const login = await gql(
      app.baseUrl,
      `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey } }`,
      {
        u: name,
        p: PASSWORD,
      },
    );
    expect(errorCode(login)).toBe("UNAUTHENTICATED");
  });

  it("lets a name from ADMIN_USERNAMES register (any case) and marks it admin", async () => {
    const registered = await register(app, admin.toUpperCase());
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.register.user.isAdmin).toBe(true);
  });
});

describe("REGISTRATION=invite", () => {
  const admin = uniqueUsername("boss");
  let app: TestApp;
  let adminKey: string;
  let redis: Redis;
  beforeAll(async () => {
    app = await startTestApp({ REGISTRATION: "invite", ADMIN_USERNAMES: admin });
    redis = new Redis(inject("redisUrl"));
    const registered = await register(app, admin);
    expect(registered.errors).toBeUndefined();
    adminKey = registered.data!.register.apiKey;
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.close();
  });

  const createInvite = async (input: Record<string, unknown> = {}) => {
    const created = await gql<{ createInvite: Invite }>(app.baseUrl, CREATE_INVITE, { input }, adminKey);
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    return created.data!.createInvite;
  };

  it("requires a code: none, a malformed or an unknown one is FORBIDDEN", async () => {
    for (const code of [null, "", "nope", `inv_${"A".repeat(32)}`]) {
      const result = await register(app, uniqueUsername("nocode"), code);
      expect(errorCode(result), String(code)).toBe("FORBIDDEN");
    }
    const rest = await restRegister(app, { username: uniqueUsername("restno") });
    expect(rest.status).toBe(403);
  });

  it("a code works once; the list shows who used it and never the code; only its hash is stored", async () => {
    const invite = await createInvite({ note: "for Carol" });
    expect(invite.code).toMatch(/^inv_[A-Za-z0-9_-]{32}$/);
    expect(invite).toMatchObject({ note: "for Carol", usedAt: null, usedBy: null, createdBy: admin });
    const carol = uniqueUsername("carol");
    const first = await register(app, carol, invite.code);
    expect(first.errors).toBeUndefined();
    expect(first.data!.register.user.isAdmin).toBe(false);
    expect(errorCode(await register(app, uniqueUsername("again"), invite.code))).toBe("FORBIDDEN");

    const listed = (await gql<{ invites: Invite[] }>(app.baseUrl, INVITES, {}, adminKey)).data!.invites;
    const entry = listed.find((i) => i.id === invite.id)!;
    expect(entry).toMatchObject({ code: null, usedBy: carol, note: "for Carol" });
    expect(entry.usedAt).not.toBeNull();

    const keys = await redis.keys("ih:invite*");
    const dump = JSON.stringify(
      await Promise.all(keys.map((k) => redis.type(k).then((t) => (t === "hash" ? redis.hgetall(k) : null)))),
    );
    expect(keys.join(" ") + dump).not.toContain(invite.code!);
  });

  it("two concurrent registrations with one code make exactly one account", async () => {
    const invite = await createInvite();
    const names = Array.from({ length: 6 }, () => uniqueUsername("race"));
    const results = await Promise.all(names.map((name) => register(app, name, invite.code)));
    const succeeded = results.filter((r) => r.errors === undefined);
    expect(succeeded).toHaveLength(1);
    expect(results.filter((r) => errorCode(r) === "FORBIDDEN")).toHaveLength(names.length - 1);
    const listed = (await gql<{ invites: Invite[] }>(app.baseUrl, INVITES, {}, adminKey)).data!.invites;
    expect(listed.find((i) => i.id === invite.id)!.usedBy).toBe(succeeded[0]!.data!.register.user.username);
  });

  it("a registration that fails after taking the code gives it back", async () => {
    const invite = await createInvite();
    const taken = uniqueUsername("taken");
    const other = await createInvite();
    expect((await register(app, taken, other.code)).errors).toBeUndefined();
    expect(errorCode(await register(app, taken, invite.code))).toBe("CONFLICT");
    expect((await register(app, uniqueUsername("later"), invite.code)).errors).toBeUndefined();
  });

  it("a revoked code stops working; REST takes invite_code", async () => {
    const revoked = await createInvite();
    const revoke = await gql(app.baseUrl, `mutation($id: ID!) { revokeInvite(id: $id) }`, { id: revoked.id }, adminKey);
    expect(revoke.errors).toBeUndefined();
    expect(errorCode(await register(app, uniqueUsername("revoked"), revoked.code))).toBe("FORBIDDEN");
    const listed = (await gql<{ invites: Invite[] }>(app.baseUrl, INVITES, {}, adminKey)).data!.invites;
    expect(listed.some((i) => i.id === revoked.id)).toBe(false);

    const live = await createInvite();
    const name = uniqueUsername("resty");
    const rest = await restRegister(app, { username: name, invite_code: live.code });
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as { username: string }).username).toBe(name);
  });

  it("refuses an expiry in the past or over a year away, and an over-long note", async () => {
    for (const input of [
      { expiresAt: new Date(Date.now() - 1000).toISOString() },
      { expiresAt: new Date(Date.now() + 400 * 24 * 3600_000).toISOString() },
      { note: "x".repeat(201) },
    ]) {
      const result = await gql(app.baseUrl, CREATE_INVITE, { input }, adminKey);
      expect(errorCode(result), JSON.stringify(input)).toBe("BAD_USER_INPUT");
    }
  });
});
