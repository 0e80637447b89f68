import type { IncomingHttpHeaders } from "node:http";
import { fastifyCookie } from "@fastify/cookie";

/** The web app's session cookie (SEC-5): httpOnly, `SameSite=Strict`; set and cleared by web-session.routes.ts. */
export const SESSION_COOKIE = "ih_session";

/**
 * The credential a request presents, from `X-API-Key` or `Authorization: Bearer` (SEC-4: headers only, never the
 * URL), else from the web app's `ih_session` cookie. Returns null when none is sent; an empty or malformed header
 * is returned as-is so authentication rejects it instead of treating the caller as anonymous.
 *
 * A header always wins over the cookie, so an API client is never silently acting as the browser's user. Requests
 * that change state on the strength of the cookie alone must come from our own origin: see `registerCookieOriginGuard`.
 */
export function presentedSecret(headers: IncomingHttpHeaders): string | null {
  const headerSecret = presentedHeaderSecret(headers);
  if (headerSecret !== null) return headerSecret;
  return sessionCookieOf(headers);
}

/** The credential sent in `X-API-Key` or `Authorization`, or null when neither header is there. */
export function presentedHeaderSecret(headers: IncomingHttpHeaders): string | null {
  const apiKey = headers["x-api-key"];
  if (apiKey !== undefined) return Array.isArray(apiKey) ? apiKey.join(",") : apiKey.trim();
  const authorization = headers.authorization;
  if (authorization === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1]! : authorization;
}

/** The `ih_session` cookie's value; null when absent or empty (a cleared cookie). Parsed by @fastify/cookie. */
export function sessionCookieOf(headers: IncomingHttpHeaders): string | null {
  const header = headers.cookie;
  if (header === undefined || header === "") return null;
  // Our secrets are URL-safe base64 with an `ih_` prefix: decoding changes nothing, anything else fails authentication.
  const value = fastifyCookie.parse(header)[SESSION_COOKIE];
  return value === undefined || value === "" ? null : value;
}
