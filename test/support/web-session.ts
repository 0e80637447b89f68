import type { BrowserContext } from "playwright-core";
import { gql, uniqueUsername } from "./graphql.js";

/**
 * A new user signed in in `context` as the login page would leave it (the httpOnly session cookie), plus an API key
 * of the same user, for uploads "from another device".
 */
export async function signInContext(
  context: BrowserContext,
  baseUrl: string,
  prefix: string,
  password: string,
): Promise<{ userId: string; apiKey: string }> {
  const response = await fetch(`${baseUrl}/web/register`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baseUrl },
    body: JSON.stringify({ username: uniqueUsername(prefix), password }),
  });
  const session = /ih_session=([^;]+)/.exec(response.headers.get("set-cookie") ?? "")![1]!;
  const userId = ((await response.json()) as { user: { id: string } }).user.id;
  await context.addCookies([{ name: "ih_session", value: session, url: baseUrl, httpOnly: true, sameSite: "Strict" }]);
  const created = await gql<{ createApiKey: { key: string } }>(
    baseUrl,
    `mutation { createApiKey(name: "another device") { key } }`,
    {},
    session,
  );
  return { userId, apiKey: created.data!.createApiKey.key };
}
