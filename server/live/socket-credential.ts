import type { IncomingHttpHeaders } from "node:http";
import { sessionCookieOf } from "../http/presented-secret.js";

/**
 * The credential a WebSocket presents in `connection_init` (graphql-ws): `{ "apiKey": "<key>" }` or
 * `{ "authorization": "Bearer <key>" }`. Without one, the web app's session cookie counts, but only when the
 * upgrade came from PUBLIC_URL's origin: a page on any other origin can open a WebSocket to us and the browser
 * attaches the cookie, so accepting it would hand that page the user's events (cross-site WebSocket hijacking,
 * SEC-5). Returns null when nothing usable was presented; a malformed value is returned as-is so authentication
 * rejects it.
 */
export function socketCredential(
  connectionParams: Readonly<Record<string, unknown>> | undefined,
  upgradeHeaders: IncomingHttpHeaders,
  ownOrigin: string,
): string | null {
  // GraphiQL sends its Headers editor as connection params, so the header spellings count too.
  const apiKey = connectionParams?.apiKey ?? connectionParams?.["x-api-key"] ?? connectionParams?.["X-API-Key"];
  if (typeof apiKey === "string") return apiKey.trim();
  const authorization = connectionParams?.authorization ?? connectionParams?.Authorization;
  if (typeof authorization === "string") {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1]! : authorization;
  }
  if (upgradeHeaders.origin !== ownOrigin) return null;
  return sessionCookieOf(upgradeHeaders);
}

/**
 * Whether an upgrade may proceed at all: no Origin (not a browser), our own origin, or one listed in CORS_ORIGINS
 * (those pages must still send a key). Browsers do not apply CORS to WebSockets, so this is where it is applied.
 */
export function upgradeOriginAllowed(
  headers: IncomingHttpHeaders,
  ownOrigin: string,
  corsOrigins: readonly string[],
): boolean {
  const origin = headers.origin;
  return origin === undefined || origin === ownOrigin || corsOrigins.includes(origin);
}
