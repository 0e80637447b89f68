import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COOKIE_MAX_AGE_SECONDS } from "../../server/http/web-session.routes.js";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { s3Env, startS3rver, type RunningS3rver } from "../support/s3rver.js";
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

describe("serving the web app and the playground", () => {
  let dist: string;
  let empty: string;
  let app: TestApp;
  let bare: TestApp;
  let closed: TestApp;
  let base: string;
  let s3: RunningS3rver;
  let s3App: TestApp;

  /** A real app on the run's Redis serving `distDir`, with extra environment. */
  const start = (distDir: string, env: Record<string, string> = {}) => startTestApp(env, { webDistDir: distDir });
  const urlOf = (a: TestApp) => a.baseUrl;

  beforeAll(async () => {
    // A stand-in build: the real one is exercised by the browser tests.
    dist = await mkdtemp(path.join(os.tmpdir(), "ih-test-dist-"));
    empty = await mkdtemp(path.join(os.tmpdir(), "ih-test-nodist-"));
    await mkdir(path.join(dist, "assets"));
    await writeFile(path.join(dist, "index.html"), "<!doctype html><title>app</title>");
    await writeFile(path.join(dist, "playground.html"), "<!doctype html><title>playground</title>");
    await writeFile(path.join(dist, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
    await writeFile(path.join(dist, "assets", "app-Ab12Cd34.js"), "console.log(1)");
    s3 = await startS3rver();
    [app, bare, closed] = await Promise.all([start(dist), start(empty), start(dist, { GRAPHQL_EXPLORER: "false" })]);
    s3App = await start(dist, s3Env(s3));
    base = urlOf(app);
  });
  afterAll(async () => {
    await Promise.all([app?.close(), bare?.close(), closed?.close(), s3App?.close()]);
    await s3?.stop();
    for (const dir of [dist, empty]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string, accept = "text/html,application/xhtml+xml,*/*;q=0.8") =>
    fetch(url, { headers: { accept } });

  it("serves index.html at / and for client-side routes, never cached; hashed assets for a year", async () => {
    for (const route of ["/", "/keys", "/images/abc", "/login"]) {
      const r = await get(`${base}${route}`);
      expect(r.status, route).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/html");
      expect(r.headers.get("cache-control")).toBe("no-cache");
      expect(await r.text()).toContain("<title>app</title>");
    }
    const asset = await get(`${base}/assets/app-Ab12Cd34.js`, "*/*");
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await get(`${base}/favicon.svg`, "*/*")).headers.get("cache-control")).toBe("no-cache");
  });

  // A dead public link (/image/<id>) is the exception: browsers get its HTML status page (test/integration/status-pages.test.ts).
  it("keeps the JSON 404 for API paths, missing assets and non-HTML requests", async () => {
    for (const route of [
      "/api/v1/nope",
      "/files/img/nope",
      "/uploads/x",
      "/health/x",
      "/ready/x",
      "/metrics",
      "/web/nope",
      "/assets/gone-1234.js",
      "/graphql/x",
    ]) {
      const r = await get(`${base}${route}`);
      expect(r.status, route).toBe(404);
      expect(await r.json()).toMatchObject({ error: { code: "not_found" } });
    }
    const json = await get(`${base}/somewhere`, "application/json");
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({ error: { code: "not_found" } });
    // The playground's page is not a file of its own: that path is just another client-side route.
    expect(await (await get(`${base}/playground.html`)).text()).toContain("<title>app</title>");
  });

  it("says in one line how to build the web app when it is not built", async () => {
    const r = await get(`${urlOf(bare)}/`, "*/*");
    expect(r.status).toBe(503);
    const text = await r.text();
    expect(text.trim().split("\n")).toHaveLength(1);
    expect(text).toContain("npm run build:web");
    expect((await get(`${urlOf(bare)}/health`, "*/*")).status).toBe(200);
  });

  it("shows the playground at /graphql to browsers, keeps other GETs for Apollo, and hides it when the explorer is off", async () => {
    const page = await get(`${base}/graphql`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>playground</title>");
    expect(page.headers.get("cache-control")).toBe("no-cache");

    const query = await fetch(`${base}/graphql?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { "apollo-require-preflight": "1" },
    });
    expect(await query.json()).toEqual({ data: { __typename: "Query" } });

    const off = await get(`${urlOf(closed)}/graphql`);
    expect(off.status).toBe(404);
    expect(await off.json()).toMatchObject({ error: { code: "not_found" } });
    const offQuery = await fetch(`${urlOf(closed)}/graphql?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { "apollo-require-preflight": "1" },
    });
    expect(await offQuery.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("sends a CSP that allows our own scripts only, no eval, no third parties, never framed", async () => {
    const csp = (await get(`${base}/`)).headers.get("content-security-policy")!;
    const directives = Object.fromEntries(
      csp
        .split(";")
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(directives["script-src"]).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(csp).not.toContain("'unsafe-eval'");
    expect(directives["frame-ancestors"]).toEqual(["'none'"]);
    expect(directives["object-src"]).toEqual(["'none'"]);
    expect(directives["img-src"]).toEqual(["'self'", "data:", "blob:"]);
    expect(directives["connect-src"]).toEqual(["'self'"]);
    expect(csp).not.toMatch(/\shttps?:(\s|;|$)|\*/);
    // The playground's page gets the same policy.
    expect((await get(`${base}/graphql`)).headers.get("content-security-policy")).toBe(csp);
  });

  it("lets the browser reach the S3 origin for thumbnails and uploads, and nothing else", async () => {
    const csp = (await get(`${urlOf(s3App)}/`)).headers.get("content-security-policy")!;
    expect(csp).toContain(`img-src 'self' data: blob: ${s3.endpoint};`);
    expect(csp).toContain(`connect-src 'self' ${s3.endpoint};`);
  });
});
