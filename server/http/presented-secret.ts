import type { IncomingHttpHeaders } from "node:http";

/**
 * The credential a request presents, from `X-API-Key` or `Authorization: Bearer` (S4: headers only, never the
 * URL). Returns null when none is sent; an empty or malformed header is returned as-is so authentication
 * rejects it instead of treating the caller as anonymous.
 */
export function presentedSecret(headers: IncomingHttpHeaders): string | null {
  const apiKey = headers["x-api-key"];
  if (apiKey !== undefined) return Array.isArray(apiKey) ? apiKey.join(",") : apiKey.trim();
  const authorization = headers.authorization;
  if (authorization === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1]! : authorization;
}
