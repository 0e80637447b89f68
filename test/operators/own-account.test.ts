import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createServices, type Services } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { RedisUserDirectory } from "../../server/redis/redis-user-directory.js";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { rgwBucket, rgwEnv } from "../support/rgw-bucket.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic, requestUpload, sendBytes, uploadImage } from "../support/uploads.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PASSWORD = "amber-kettle-orbit-52";
const NEW_PASSWORD = "copper-lantern-drift-83";
const REGISTER = `mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey user { id } } }`;
const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey } }`;
const ME = `{ me { id } }`;

/** Everything a user can own, made through the API: images, an album, a share link, a key, an open upload. */
async function populatedUser(baseUrl: string) {
  const username = uniqueUsername("owner");
  const registered = await gql<{ register: { apiKey: string; user: { id: string } } }>(baseUrl, REGISTER, {
    u: username,
    p: PASSWORD,
  });
  const session = registered.data!.register.apiKey;
  const userId = registered.data!.register.user.id;
  const images = [
    await uploadImage(baseUrl, session, await makeImage("png"), "image/png"),
    await uploadImage(baseUrl, session, await makeImage("jpeg"), "image/jpeg"),
  ];
  const album = await gql<{ createAlbum: { id: string } }>(
    baseUrl,
    `mutation { createAlbum(input: { title: "trip" }) { id } }`,
    {},
    session,
  );
  expect(album.errors).toBeUndefined();
  const albumId = album.data!.createAlbum.id;
  expect(
    (
      await gql(
        baseUrl,
        `mutation($a: ID!, $i: [ID!]!) { addToAlbum(albumId: $a, imageIds: $i) { id } }`,
        { a: albumId, i: [images[0]!.id] },
        session,
      )
    ).errors,
  ).toBeUndefined();
  const link = await gql<{ createShareLink: { url: string } }>(
    baseUrl,
    `mutation($i: ID!) { createShareLink(input: { imageId: $i }) { url } }`,
    { i: images[1]!.id },
    session,
  );
  expect(link.errors).toBeUndefined();
  const apiKey = (
    await gql<{ createApiKey: { key: string } }>(baseUrl, `mutation { createApiKey(name: "cli") { key } }`, {}, session)
  ).data!.createApiKey.key;
  const pending = await makeImage("png");
  const ticket = await requestUpload(baseUrl, session, {
    filename: "half.png",
    contentType: "image/png",
    size: pending.length,
  });
  expect((await sendBytes(ticket, pending)).ok).toBe(true);
  const login = await gql<{ login: { apiKey: string } }>(baseUrl, LOGIN, { u: username, p: PASSWORD });
  return {
    username,
    userId,
    session,
    otherSession: login.data!.login.apiKey,
    apiKey,
    images,
    albumId,
    shareUrl: link.data!.createShareLink.url,
    uploadId: ticket.uploadId,
  };
}

/** Every Redis key and value that names the user, and every stored object of theirs. */
async function tracesOf(
  redis: Redis,
  services: Services,
  user: { userId: string; username: string; images: { id: string }[]; uploadId: string; albumId: string },
) {
  const needles = [
    user.userId,
    user.username.toLowerCase(),
    user.albumId,
    user.uploadId,
    ...user.images.map((i) => i.id),
  ];
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", "ih:*", "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let values: string[] = [];
      if (type === "hash") values = Object.entries(await redis.hgetall(key)).flat();
      else if (type === "zset") values = await redis.zrange(key, "0", "-1");
      else if (type === "set") values = await redis.smembers(key);
      else if (type === "string") values = [(await redis.get(key)) ?? ""];
      for (const text of [key, ...values]) {
        if (needles.some((n) => text.toLowerCase().includes(n.toLowerCase()))) found.push(`${key}: ${text}`);
      }
    }
  } while (cursor !== "0");
  for await (const object of services.blobs.list("")) {
    if (needles.some((n) => object.key.includes(n))) found.push(`object ${object.key}`);
  }
  return found;
}

for (const driver of ["local", "s3"] as const) {
  describe(`own account (${driver === "s3" ? "S3 on RGW" : "local disk"})`, () => {
    let app: TestApp;
    let env: Record<string, string>;
    let services: Services;
    let redis: Redis;

    beforeAll(async () => {
      const storageEnv = driver === "s3" ? rgwEnv(await rgwBucket()) : {};
      app = await startTestApp(storageEnv);
      env = { REDIS_URL: inject("redisUrl"), DATA_DIR: app.dataDir, LOG_LEVEL: "silent", ...storageEnv };
      services = await createServices(loadConfig(env));
      redis = new Redis(inject("redisUrl"));
    });
    afterAll(async () => {
      redis?.disconnect();
      await services?.close();
      await app?.close();
    });

    it("changePassword checks the current one and the rules, revokes other sessions and keeps API keys", async () => {
      const user = await populatedUser(app.baseUrl);
      const change = (current: string, next: string) =>
        gql(
          app.baseUrl,
          `mutation($c: String!, $n: String!) { changePassword(current: $c, next: $n) }`,
          { c: current, n: next },
          user.session,
        );
      expect(errorCode(await change("wrong-password-1", NEW_PASSWORD))).toBe("BAD_USER_INPUT");
      expect(errorCode(await change(PASSWORD, "password"))).toBe("BAD_USER_INPUT");
      expect((await gql(app.baseUrl, ME, {}, user.otherSession)).errors).toBeUndefined();
      expect((await change(PASSWORD, NEW_PASSWORD)).errors).toBeUndefined();
      expect(errorCode(await gql(app.baseUrl, ME, {}, user.otherSession))).toBe("UNAUTHENTICATED");
      expect((await gql(app.baseUrl, ME, {}, user.session)).errors).toBeUndefined();
      expect((await gql(app.baseUrl, ME, {}, user.apiKey)).errors).toBeUndefined();
      expect(errorCode(await gql(app.baseUrl, LOGIN, { u: user.username, p: PASSWORD }))).toBe("UNAUTHENTICATED");
      expect((await gql(app.baseUrl, LOGIN, { u: user.username, p: NEW_PASSWORD })).errors).toBeUndefined();
    });

    it("deleteAccount leaves no record and no object of the user, and frees the username", async () => {
      const user = await populatedUser(app.baseUrl);
      expect(await tracesOf(redis, services, user)).not.toEqual([]);
      const remove = (password: string) =>
        gql(app.baseUrl, `mutation($p: String!) { deleteAccount(password: $p) }`, { p: password }, user.session);
      expect(errorCode(await remove("wrong-password-1"))).toBe("BAD_USER_INPUT");
      expect((await fetchPublic(user.images[0]!.url)).status).toBe(200);

      expect((await remove(PASSWORD)).errors).toBeUndefined();
      expect(await tracesOf(redis, services, user)).toEqual([]);
      for (const key of [user.session, user.otherSession, user.apiKey])
        expect(errorCode(await gql(app.baseUrl, ME, {}, key))).toBe("UNAUTHENTICATED");
      for (const image of user.images) expect((await fetchPublic(image.url)).status).toBe(404);
      expect((await fetch(user.shareUrl, { redirect: "manual" })).status).toBe(404);
      expect((await gql(app.baseUrl, REGISTER, { u: user.username, p: PASSWORD })).errors).toBeUndefined();
    });

    it("a deletion interrupted after its first step blocks the user and is finished by npm run sweep", async () => {
      const user = await populatedUser(app.baseUrl);
      // The crash: only the first step of a deletion ran (as deleteUser does first), and one object went already.
      await new RedisUserDirectory(redis).markDeleting(user.userId, user.username.toLowerCase());
      await services.blobs.delete(`img/${user.images[0]!.id}`);
      expect(errorCode(await gql(app.baseUrl, ME, {}, user.apiKey))).toBe("UNAUTHENTICATED");
      expect(errorCode(await gql(app.baseUrl, LOGIN, { u: user.username, p: PASSWORD }))).toBe("UNAUTHENTICATED");
      expect(errorCode(await gql(app.baseUrl, REGISTER, { u: user.username, p: PASSWORD }))).toBe("CONFLICT");

      const { stdout } = await promisify(execFile)(path.join(root, "node_modules/.bin/tsx"), ["server/sweep.ts"], {
        cwd: root,
        env: { ...process.env, ...env },
      });
      expect((JSON.parse(stdout) as { accountDeletionsFinished: string[] }).accountDeletionsFinished).toContain(
        user.userId,
      );
      expect(await tracesOf(redis, services, user)).toEqual([]);
      expect((await gql(app.baseUrl, REGISTER, { u: user.username, p: PASSWORD })).errors).toBeUndefined();
    });
  });
}
