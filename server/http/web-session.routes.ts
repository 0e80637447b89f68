import type { IncomingHttpHeaders } from "node:http";
import { fastifyCookie } from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { badInput } from "../errors.js";
import type { AccountService } from "../services/account.service.js";
import type { CredentialService, IssuedCredential } from "../services/credential.service.js";
import { sendForbidden } from "./error-reply.js";
import { SESSION_COOKIE, presentedHeaderSecret, sessionCookieOf } from "./presented-secret.js";

export interface WebSessionOptions {
  /** PUBLIC_URL: its origin is the only one allowed to change state with the cookie; https adds `Secure`. */
  publicUrl: string;
  /** Other origins of this same app (config.http.appOrigins); PUBLIC_URL's is always included. */
  appOrigins?: readonly string[];
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The web app's session (SEC-5). The browser never sees the credential: `POST /web/session` (log in) and
 * `POST /web/register` set it as an httpOnly, `SameSite=Strict` cookie and answer only `{user: {id, username}}`;
 * `DELETE /web/session` revokes it and clears the cookie. `presentedSecret` then reads the cookie on every request
 * that sends no X-API-Key/Authorization header.
 *
 * CSRF: these three routes, and every other state-changing request that relies on the cookie alone, must come from
 * PUBLIC_URL's origin (the `Origin` header, or a same-origin `Sec-Fetch-Site` when a browser sends no Origin);
 * anything else is 403. Apollo's CSRF prevention stays on for /graphql as well.
 *
 * Call on the root instance before other routes: the origin guard is a root-level hook.
 */
/** Chrome and Firefox cap cookie lifetimes at 400 days. */
export const COOKIE_MAX_AGE_SECONDS = 400 * 24 * 3600;

export function registerWebSessionRoutes(
  app: FastifyInstance,
  { accounts, credentials }: { accounts: AccountService; credentials: CredentialService },
  options: WebSessionOptions,
): void {
  const ownOrigin = new URL(options.publicUrl).origin;
  const appOrigins = new Set([ownOrigin, ...(options.appOrigins ?? [])]);
  const secure = ownOrigin.startsWith("https:");
  const attributes = { path: "/", httpOnly: true, sameSite: "strict", secure } as const;
  // The server decides when a session ends (it slides with every use, SESSION_IDLE_DAYS idle); the cookie only has
  // to outlive it, so it gets the longest lifetime browsers keep (400 days) rather than a fixed copy of the idle time.
  const setCookie = (reply: FastifyReply, secret: string) =>
    reply.header(
      "set-cookie",
      fastifyCookie.serialize(SESSION_COOKIE, secret, { ...attributes, maxAge: COOKIE_MAX_AGE_SECONDS }),
    );
  const clearCookie = (reply: FastifyReply) =>
    reply.header("set-cookie", fastifyCookie.serialize(SESSION_COOKIE, "", { ...attributes, maxAge: 0 }));
  const refuse = (request: FastifyRequest, reply: FastifyReply) =>
    sendForbidden(request, reply, `Cross-origin request refused: open the app at ${ownOrigin}.`);

  // Every state-changing request that would be authenticated by the cookie alone (no header credential).
  app.addHook("onRequest", async (request, reply) => {
    if (SAFE_METHODS.has(request.method)) return;
    if (presentedHeaderSecret(request.headers) !== null || sessionCookieOf(request.headers) === null) return;
    if (!isSameOrigin(request.headers, appOrigins)) return refuse(request, reply);
  });

  /** Answers the user only; the secret leaves in the cookie. The session the cookie held before is revoked. */
  const startSession = async (request: FastifyRequest, reply: FastifyReply, issued: IssuedCredential) => {
    const previous = sessionCookieOf(request.headers);
    if (previous !== null && previous !== issued.secret) await credentials.endSession(previous);
    setCookie(reply, issued.secret);
    reply.header("cache-control", "no-store");
    const { userId: id, username } = issued.record;
    return { user: { id, username, isAdmin: credentials.isAdminName(username) } };
  };

  void app.register(async (scope) => {
    // Login CSRF too: these routes refuse other origins whether or not a cookie is present.
    scope.addHook("onRequest", async (request, reply) => {
      if (!isSameOrigin(request.headers, appOrigins)) return refuse(request, reply);
    });
    scope.post("/web/session", async (request, reply) => {
      const { username, password } = usernameAndPassword(request.body);
      return startSession(request, reply, await accounts.login(username, password, { clientIp: request.ip }));
    });
    scope.post("/web/register", async (request, reply) => {
      const { username, password } = usernameAndPassword(request.body);
      const { inviteCode } = (request.body ?? {}) as { inviteCode?: unknown };
      if (inviteCode !== undefined && inviteCode !== null && typeof inviteCode !== "string")
        throw badInput("inviteCode must be a string.");
      const issued = await accounts.register(username, password, { clientIp: request.ip }, inviteCode ?? null);
      return startSession(request, reply, issued);
    });
    scope.delete("/web/session", async (request, reply) => {
      const secret = sessionCookieOf(request.headers);
      if (secret !== null) await credentials.endSession(secret);
      clearCookie(reply);
      return reply.code(204).header("cache-control", "no-store").send();
    });
  });
}

/**
 * True when the request comes from one of `appOrigins`: its `Origin` header says so, or it has none and the browser's
 * `Sec-Fetch-Site` says `same-origin`. Clients that send neither (curl, scripts) are not the web app.
 */
function isSameOrigin(headers: IncomingHttpHeaders, appOrigins: ReadonlySet<string>): boolean {
  const origin = headers.origin;
  if (origin !== undefined) return appOrigins.has(origin);
  return headers["sec-fetch-site"] === "same-origin";
}

function usernameAndPassword(body: unknown): { username: string; password: string } {
  const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== "string" || typeof password !== "string") {
    throw badInput('Send {"username": "…", "password": "…"} as JSON.');
  }
  return { username, password };
}
