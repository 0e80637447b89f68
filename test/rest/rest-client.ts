import { expect } from "vitest";
import { errorBody } from "../../server/rest/route-spec.js";
import { uniqueUsername } from "../support/graphql.js";

/** What an old client sees of a REST answer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON answers
export interface RestResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: T;
}

export interface RestOptions {
  /** Sent as X-API-Key, the way the older clients send it. */
  key?: string;
  /** Serialized as the JSON body. */
  json?: unknown;
  /** Sent as is (with `contentType`, default application/json), for malformed bodies. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One request over real HTTP, as the Python CLI (requests) or the vanilla-JS page (fetch) would make it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON answers
export async function rest<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: RestOptions = {},
): Promise<RestResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers["X-API-Key"] = options.key;
  let body: string | undefined;
  if (options.json !== undefined) body = JSON.stringify(options.json);
  if (options.raw !== undefined) body = options.raw;
  if (body !== undefined) headers["Content-Type"] = options.contentType ?? "application/json";
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: "manual" });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text so a failing assertion shows it.
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export const PASSWORD = "sturdy-maple-orbit-5";

/** Registers a fresh user over REST; returns its name and API key. */
export async function registerUser(baseUrl: string, prefix = "rest"): Promise<{ username: string; key: string }> {
  const username = uniqueUsername(prefix);
  const r = await rest(baseUrl, "POST", "/api/v1/register", { json: { username, password: PASSWORD } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { username, key: r.body.api_key };
}

/** The contract's error body, exactly: `{"error": {"code", "message", "request_id"}}`. */
export function expectError(response: RestResponse, status: number, code: string): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { error: { code, message: expect.any(String), request_id: expect.any(String) } },
  });
  expect(errorBody.safeParse(response.body).success).toBe(true);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
}

/** Polls `probe` until it returns true, or fails after `timeoutMs`. */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export { s3Env } from "../support/s3rver.js";
