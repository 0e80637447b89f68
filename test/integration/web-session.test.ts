import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COOKIE_MAX_AGE_SECONDS } from "../../server/http/web-session.routes.js";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { awaitProcessed, uploadImage } from "../support/uploads.js";

const PASSWORD = "copper-lantern-meadow-4";
const ME = "{ me { username } }";

/** The session cookie a response sets, parsed. */
function sessionCookie(response: Response): { value: string; attributes: string[] } | null {
  const header = response.headers.getSetCookie().find((c) => c.startsWith("ih_session="));
  if (!header) return null;
  const [pair, ...attributes] = header.split(";").map((part) => part.trim());
  return { value: pair!.slice("ih_session=".length), attributes };
}

/** SEC-5: the web app's session lives in an httpOnly SameSite=Strict cookie; writes that rely on it must be same-origin. */
describe("web session cookie (SEC-5)", () => {
  let server: TestApp;
  let base: string;
  beforeAll(async () => {
    server = await startTestApp();
    base = server.baseUrl;
  });
  afterAll(() => server?.close());

  const post = (route: string, body: unknown, headers: Record<string, string> = { origin: base }) =>
    fetch(`${base}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const withCookie = (secret: string, extra: Record<string, string> = {}) => ({
    cookie: `theme=dark; ih_session=${secret}`,
    ...extra,
  });
  /** A GraphQL POST as the web app sends it: the cookie, and the browser's Origin. */
  const cookieGql = async (secret: string, query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...withCookie(secret, { origin: base }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: unknown; errors?: { extensions: { code: string } }[] };
  };

  it("registers and logs in into a cookie, answering the user but never the secret", async () => {
    const username = uniqueUsername("web");
    const registered = await post("/web/register", { username, password: PASSWORD });
    expect(registered.status).toBe(200);
    const text = await registered.text();
    const body = JSON.parse(text) as { user: { id: string; username: string; isAdmin: boolean } };
    expect(body).toEqual({ user: { id: expect.any(String), username, isAdmin: false } });
    const cookie = sessionCookie(registered)!;
    expect(cookie.value).toMatch(/^ih_[A-Za-z0-9_-]{43}$/);
    expect(text).not.toContain(cookie.value);
    expect(cookie.attributes).toEqual(
      expect.arrayContaining(["HttpOnly", "SameSite=Strict", "Path=/", `Max-Age=${COOKIE_MAX_AGE_SECONDS}`]),
    );
    expect(cookie.attributes).not.toContain("Secure");
    expect(registered.headers.get("cache-control")).toBe("no-store");

    // The cookie authenticates GraphQL (a JSON POST, as the web app sends it).
    expect(await cookieGql(cookie.value, ME)).toEqual({ data: { me: { username } } });

    const loggedIn = await post("/web/session", { username, password: PASSWORD });
    expect(loggedIn.status).toBe(200);
    expect(await loggedIn.json()).toEqual({ user: { id: body.user.id, username, isAdmin: false } });
    expect(sessionCookie(loggedIn)!.value).not.toBe(cookie.value);
  });

  it("revokes the session the cookie held when logging in again in the same browser", async () => {
    const username = uniqueUsername("relog");
    const first = sessionCookie(await post("/web/register", { username, password: PASSWORD }))!.value;
    const second = await post("/web/session", { username, password: PASSWORD }, { origin: base, ...withCookie(first) });
    expect(second.status).toBe(200);
    expect((await gql(base, ME, {}, first)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await gql(base, ME, {}, sessionCookie(second)!.value)).data).toEqual({ me: { username } });
  });

  it("logs out: revokes the session and clears the cookie", async () => {
    const username = uniqueUsername("bye");
    const secret = sessionCookie(await post("/web/register", { username, password: PASSWORD }))!.value;
    const out = await fetch(`${base}/web/session`, {
      method: "DELETE",
      headers: { origin: base, ...withCookie(secret) },
    });
    expect(out.status).toBe(204);
    const cleared = sessionCookie(out)!;
    expect(cleared.value).toBe("");
    expect(cleared.attributes).toEqual(expect.arrayContaining(["Max-Age=0", "HttpOnly", "SameSite=Strict", "Path=/"]));
    expect((await gql(base, ME, {}, secret)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    // Logging out with no cookie, or a dead one, still answers 204 and clears it.
    const again = await fetch(`${base}/web/session`, {
      method: "DELETE",
      headers: { origin: base, ...withCookie(secret) },
    });
    expect(again.status).toBe(204);
  });

  it("answers wrong passwords, taken names and bad bodies in the REST error shape", async () => {
    const username = uniqueUsername("errs");
    await post("/web/register", { username, password: PASSWORD });
    const wrong = await post("/web/session", { username, password: "not-the-password-1" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: "auth", request_id: expect.any(String) } });
    expect(sessionCookie(wrong)).toBeNull();
    const taken = await post("/web/register", { username: username.toUpperCase(), password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toMatchObject({ error: { code: "conflict", message: "That username is taken." } });
    const bad = await post("/web/session", { username });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "validation" } });
  });

  it("refuses log in, registration and log out from other origins (403), and accepts a same-origin Sec-Fetch-Site", async () => {
    const username = uniqueUsername("csrf");
    const body = { username, password: PASSWORD };
    const elsewhere: Record<string, string>[] = [
      { origin: "http://evil.example" },
      { origin: "null" },
      {},
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const headers of elsewhere) {
      const refused = await post("/web/register", body, headers);
      expect(refused.status, JSON.stringify(headers)).toBe(403);
      expect(await refused.json()).toMatchObject({ error: { code: "forbidden", request_id: expect.any(String) } });
    }
    const evilLogin = await post("/web/session", body, { origin: "http://evil.example" });
    expect(evilLogin.status).toBe(403);
    // A form post from elsewhere fails on the origin before its body is even parsed.
    const form = await fetch(`${base}/web/session`, {
      method: "POST",
      headers: { origin: "http://evil.example", "content-type": "application/x-www-form-urlencoded" },
      body: `username=${username}&password=${PASSWORD}`,
    });
    expect(form.status).toBe(403);

    const sameOrigin = await post("/web/register", body, { "sec-fetch-site": "same-origin" });
    expect(sameOrigin.status).toBe(200);
    const secret = sessionCookie(sameOrigin)!.value;
    const evilLogout = await fetch(`${base}/web/session`, {
      method: "DELETE",
      headers: { origin: "http://evil.example", ...withCookie(secret) },
    });
    expect(evilLogout.status).toBe(403);
    expect((await gql(base, ME, {}, secret)).data).toEqual({ me: { username } });
  });

  it("refuses every cookie-authenticated write from another origin, and leaves header credentials alone", async () => {
    const username = uniqueUsername("guard");
    const secret = sessionCookie(await post("/web/register", { username, password: PASSWORD }))!.value;
    const image = await uploadImage(base, secret, await makeImage("png"), "image/png");

    const deleteImage = JSON.stringify({
      query: "mutation($id: ID!) { deleteImage(id: $id) }",
      variables: { id: image.id },
    });
    const evilGraphql = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example", ...withCookie(secret) },
      body: deleteImage,
    });
    expect(evilGraphql.status).toBe(403);
    const evilRest = await fetch(`${base}/api/v1/image/${image.id}`, {
      method: "DELETE",
      headers: { origin: "http://evil.example", ...withCookie(secret) },
    });
    expect(evilRest.status).toBe(403);
    expect((await awaitProcessed(`${base}/image/${image.id}`)).status).toBe(302);

    // Even a GraphQL read goes by POST: without our Origin the cookie does not count.
    expect(
      (
        await fetch(`${base}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", ...withCookie(secret) },
          body: JSON.stringify({ query: ME }),
        })
      ).status,
    ).toBe(403);
    expect(await cookieGql(secret, ME)).toEqual({ data: { me: { username } } });
    // Plain reads (GET) are not writes: SameSite=Strict keeps the cookie off other sites' requests, and CORS their answers.
    const list = await fetch(`${base}/api/v1/me/images`, {
      headers: withCookie(secret, { origin: "http://evil.example" }),
    });
    expect(list.status).toBe(200);
    expect(list.headers.get("access-control-allow-origin")).toBeNull();
    // A header credential wins over the cookie and is not subject to the origin check (it cannot ride along).
    const key = (
      await gql<{ createApiKey: { key: string } }>(base, `mutation { createApiKey(name: "k") { key } }`, {}, secret)
    ).data!.createApiKey.key;
    const other = uniqueUsername("other");
    const otherSecret = sessionCookie(await post("/web/register", { username: other, password: PASSWORD }))!.value;
    const both = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: "http://tool.example",
        "x-api-key": key,
        ...withCookie(otherSecret),
      },
      body: JSON.stringify({ query: ME }),
    });
    expect(await both.json()).toEqual({ data: { me: { username } } });

    const sameOrigin = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base, ...withCookie(secret) },
      body: deleteImage,
    });
    expect(await sameOrigin.json()).toEqual({ data: { deleteImage: true } });
  });
});

describe("web session cookie behind https", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({ PUBLIC_URL: "https://img.example.com", SESSION_IDLE_DAYS: "7" });
  });
  afterAll(() => server?.close());

  it("marks the cookie Secure and accepts only the public origin", async () => {
    const body = JSON.stringify({ username: uniqueUsername("tls"), password: PASSWORD });
    const send = (origin: string) =>
      fetch(`${server.baseUrl}/web/register`, {
        method: "POST",
        headers: { "content-type": "application/json", origin },
        body,
      });
    expect((await send(server.baseUrl)).status).toBe(403);
    const ok = await send("https://img.example.com");
    expect(ok.status).toBe(200);
    expect(sessionCookie(ok)!.attributes).toEqual(
      expect.arrayContaining(["Secure", "HttpOnly", "SameSite=Strict", `Max-Age=${COOKIE_MAX_AGE_SECONDS}`]),
    );
  });
});
