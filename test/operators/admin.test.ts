import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic, uploadImage } from "../support/uploads.js";

const PASSWORD = "amber-kettle-orbit-52";
const REGISTER = `mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey user { id isAdmin } } }`;
const USER_FIELDS = "id username isAdmin createdAt lastSeenAt disabled imageCount bytesUsed";
const USERS = `query($first: Int, $after: String, $search: String) {
  users(first: $first, after: $after, search: $search) {
    edges { cursor node { ${USER_FIELDS} } } nodes { id } pageInfo { hasNextPage endCursor }
  }
}`;
const SET_DISABLED = `mutation($id: ID!, $d: Boolean!) { setUserDisabled(id: $id, disabled: $d) { id disabled } }`;
const ME = `{ me { id username isAdmin } }`;

interface AdminUser {
  id: string;
  username: string;
  isAdmin: boolean;
  createdAt: string | null;
  lastSeenAt: string | null;
  disabled: boolean;
  imageCount: number;
  bytesUsed: number;
}

/** Every admin-only operation, with variables that would be valid for an admin. */
const ADMIN_OPERATIONS: [
  name: string,
  query: string,
  variables: (ids: { user: string; image: string }) => Record<string, unknown>,
][] = [
  ["users", `{ users { nodes { id } } }`, () => ({})],
  ["setUserDisabled", SET_DISABLED, (ids) => ({ id: ids.user, d: true })],
  ["deleteUser", `mutation($id: ID!) { deleteUser(id: $id) }`, (ids) => ({ id: ids.user })],
  ["adminDeleteImage", `mutation($id: ID!) { adminDeleteImage(id: $id) }`, (ids) => ({ id: ids.image })],
  ["instanceStats", `{ instanceStats { users images bytes } }`, () => ({})],
  ["createInvite", `mutation { createInvite(input: {note: "x"}) { id } }`, () => ({})],
  ["invites", `{ invites { id } }`, () => ({})],
  ["revokeInvite", `mutation($id: ID!) { revokeInvite(id: $id) }`, () => ({ id: "AAAAAAAAAAAAAAAA" })],
];

describe("admins (ADMIN_USERNAMES)", () => {
  const adminName = uniqueUsername("chief");
  const logLines: string[] = [];
  let app: TestApp;
  let second: TestApp;
  let adminKey: string;
  let adminId: string;

  const registerUser = async (app_: TestApp, prefix: string) => {
    const username = uniqueUsername(prefix);
    const result = await gql<{ register: { apiKey: string; user: { id: string; isAdmin: boolean } } }>(
      app_.baseUrl,
      REGISTER,
      { u: username, p: PASSWORD },
    );
    expect(result.errors).toBeUndefined();
    return { username, key: result.data!.register.apiKey, id: result.data!.register.user.id };
  };

  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    app = await startTestApp({ ADMIN_USERNAMES: adminName, LOG_LEVEL: "info" }, { logStream });
    // A second node on the same Redis, as behind a load balancer.
    second = await startTestApp({ ADMIN_USERNAMES: adminName });
    const registered = await gql<{ register: { apiKey: string; user: { id: string; isAdmin: boolean } } }>(
      app.baseUrl,
      REGISTER,
      { u: adminName, p: PASSWORD },
    );
    adminKey = registered.data!.register.apiKey;
    adminId = registered.data!.register.user.id;
    expect(registered.data!.register.user.isAdmin).toBe(true);
  });
  afterAll(async () => {
    await second?.close();
    await app?.close();
  });

  it("says who is an admin in me", async () => {
    const plain = await registerUser(app, "plain");
    expect((await gql<{ me: { isAdmin: boolean } }>(app.baseUrl, ME, {}, adminKey)).data!.me.isAdmin).toBe(true);
    expect((await gql<{ me: { isAdmin: boolean } }>(app.baseUrl, ME, {}, plain.key)).data!.me.isAdmin).toBe(false);
  });

  it("refuses every admin operation to a non-admin with FORBIDDEN, and to anonymous callers", async () => {
    const victim = await registerUser(app, "victim");
    const image = await uploadImage(app.baseUrl, victim.key, await makeImage("png"), "image/png");
    const mallory = await registerUser(app, "mallory");
    for (const [name, query, variables] of ADMIN_OPERATIONS) {
      const vars = variables({ user: victim.id, image: image.id });
      expect(errorCode(await gql(app.baseUrl, query, vars, mallory.key)), name).toBe("FORBIDDEN");
      expect(errorCode(await gql(app.baseUrl, query, vars)), name).toBe("UNAUTHENTICATED");
    }
    // Nothing happened to the victim.
    expect((await fetchPublic(image.url)).status).toBe(200);
    expect((await gql<{ me: { id: string } }>(app.baseUrl, ME, {}, victim.key)).data!.me.id).toBe(victim.id);
  });

  it("lists users newest first with usage, search and paging", async () => {
    const tag = uniqueUsername("grp").slice(-8);
    const members = [];
    for (let i = 0; i < 3; i++) members.push(await registerUser(app, `m${i}${tag}`));
    const bytes = await makeImage("png", 9, 9);
    await uploadImage(app.baseUrl, members[0]!.key, bytes, "image/png");

    const page1 = await gql<{
      users: { edges: { cursor: string; node: AdminUser }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(app.baseUrl, USERS, { first: 2, search: tag.toUpperCase() }, adminKey);
    expect(page1.errors).toBeUndefined();
    expect(page1.data!.users.edges.map((e) => e.node.id)).toEqual([members[2]!.id, members[1]!.id]);
    expect(page1.data!.users.pageInfo.hasNextPage).toBe(true);
    const page2 = await gql<{ users: { edges: { node: AdminUser }[]; pageInfo: { hasNextPage: boolean } } }>(
      app.baseUrl,
      USERS,
      { first: 2, search: tag, after: page1.data!.users.pageInfo.endCursor },
      adminKey,
    );
    const oldest = page2.data!.users.edges.map((e) => e.node);
    expect(oldest.map((u) => u.id)).toEqual([members[0]!.id]);
    expect(page2.data!.users.pageInfo.hasNextPage).toBe(false);
    expect(oldest[0]).toMatchObject({ imageCount: 1, bytesUsed: bytes.length, disabled: false, isAdmin: false });
    expect(Date.parse(oldest[0]!.createdAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(oldest[0]!.lastSeenAt).not.toBeNull();
    expect(errorCode(await gql(app.baseUrl, USERS, { first: 101 }, adminKey))).toBe("BAD_USER_INPUT");
    expect(errorCode(await gql(app.baseUrl, USERS, { after: "bogus" }, adminKey))).toBe("BAD_USER_INPUT");
  });

  it("disabling stops the user's keys and sessions on another node within a second; images stay served", async () => {
    const user = await registerUser(app, "paused");
    const image = await uploadImage(app.baseUrl, user.key, await makeImage("png"), "image/png");
    const created = await gql<{ createApiKey: { key: string } }>(
      app.baseUrl,
      `mutation { createApiKey(name: "script") { key } }`,
      {},
      user.key,
    );
    const apiKey = created.data!.createApiKey.key;
    for (const key of [user.key, apiKey]) expect((await gql(second.baseUrl, ME, {}, key)).errors).toBeUndefined();

    const disabled = await gql<{ setUserDisabled: { disabled: boolean } }>(
      app.baseUrl,
      SET_DISABLED,
      { id: user.id, d: true },
      adminKey,
    );
    expect(disabled.data!.setUserDisabled.disabled).toBe(true);
    const deadline = Date.now() + 1000;
    for (const key of [user.key, apiKey]) {
      let code: string | undefined;
      while (Date.now() < deadline && code !== "UNAUTHENTICATED")
        code = errorCode(await gql(second.baseUrl, ME, {}, key));
      expect(code).toBe("UNAUTHENTICATED");
    }
    const rest = await fetch(`${second.baseUrl}/api/v1/me/images`, { headers: { "x-api-key": apiKey } });
    expect(rest.status).toBe(401);
    const login = await gql(
      second.baseUrl,
      `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey } }`,
      {
        u: user.username,
        p: PASSWORD,
      },
    );
    expect(errorCode(login)).toBe("UNAUTHENTICATED");
    expect((await fetchPublic(image.url)).status).toBe(200);

    await gql(app.baseUrl, SET_DISABLED, { id: user.id, d: false }, adminKey);
    expect((await gql(second.baseUrl, ME, {}, apiKey)).errors).toBeUndefined();
    expect(errorCode(await gql(app.baseUrl, SET_DISABLED, { id: adminId, d: true }, adminKey))).toBe("BAD_USER_INPUT");
    expect(errorCode(await gql(app.baseUrl, SET_DISABLED, { id: "AAAAAAAAAAAAAAAA", d: true }, adminKey))).toBe(
      "NOT_FOUND",
    );
  });

  it("takes any image down, deletes users, totals the instance, and logs each action with who did it", async () => {
    const before = (
      await gql<{ instanceStats: { users: number; images: number; bytes: number } }>(
        app.baseUrl,
        `{ instanceStats { users images bytes } }`,
        {},
        adminKey,
      )
    ).data!.instanceStats;
    const user = await registerUser(app, "gone");
    const bytes = await makeImage("png", 11, 11);
    const image = await uploadImage(app.baseUrl, user.key, bytes, "image/png");
    const kept = await uploadImage(app.baseUrl, user.key, await makeImage("png"), "image/png");
    const during = (
      await gql<{ instanceStats: { users: number; images: number; bytes: number } }>(
        app.baseUrl,
        `{ instanceStats { users images bytes } }`,
        {},
        adminKey,
      )
    ).data!.instanceStats;
    expect(during.users).toBe(before.users + 1);
    expect(during.images).toBe(before.images + 2);
    expect(during.bytes).toBe(before.bytes + bytes.length + kept.size);

    const taken = await gql(
      app.baseUrl,
      `mutation($id: ID!) { adminDeleteImage(id: $id) }`,
      { id: image.id },
      adminKey,
    );
    expect(taken.errors).toBeUndefined();
    expect((await fetchPublic(image.url)).status).toBe(404);
    expect(
      errorCode(await gql(app.baseUrl, `mutation($id: ID!) { adminDeleteImage(id: $id) }`, { id: image.id }, adminKey)),
    ).toBe("NOT_FOUND");

    const deleted = await gql(app.baseUrl, `mutation($id: ID!) { deleteUser(id: $id) }`, { id: user.id }, adminKey);
    expect(deleted.errors).toBeUndefined();
    expect(errorCode(await gql(app.baseUrl, ME, {}, user.key))).toBe("UNAUTHENTICATED");
    expect((await fetchPublic(kept.url)).status).toBe(404);
    const after = await gql<{ users: { nodes: { id: string }[] } }>(
      app.baseUrl,
      USERS,
      { search: user.username },
      adminKey,
    );
    expect(after.data!.users.nodes).toEqual([]);

    const audit = logLines
      .map(
        (line) => JSON.parse(line) as { audit?: { action: string; actor: string; actorId: string; targetId: string } },
      )
      .filter((entry) => entry.audit)
      .map((entry) => entry.audit!);
    expect(audit).toContainEqual(
      expect.objectContaining({ action: "image.delete", actor: adminName, actorId: adminId, targetId: image.id }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({ action: "user.delete", actor: adminName, targetId: user.id }),
    );
    expect(audit).toContainEqual(expect.objectContaining({ action: "user.disable", actor: adminName }));
    expect(audit).toContainEqual(expect.objectContaining({ action: "user.enable", actor: adminName }));
  });
});
