import { randomBytes } from "node:crypto";

/** The harness talks to the server as any client would: GraphQL over HTTP, credentials in X-API-Key. */

class ApiError extends Error {
  override name = "ApiError";
}

async function graphql<T>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  apiKey?: string,
): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (apiKey !== undefined) headers["x-api-key"] = apiKey;
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new ApiError(`GraphQL answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  if (body.errors?.length || !body.data) {
    const first = body.errors?.[0];
    throw new ApiError(
      `GraphQL error ${first?.extensions?.code ?? response.status}: ${first?.message ?? text.slice(0, 200)}`,
    );
  }
  return body.data;
}

export interface BenchUser {
  username: string;
  password: string;
  apiKey: string;
  userId: string;
}

/** Registers a fresh account through the API, and learns its id the way a client would, from `me { id }`. */
export async function registerUser(baseUrl: string, prefix: string): Promise<BenchUser> {
  const username = `${prefix.slice(0, 14)}_${randomBytes(6).toString("hex")}`;
  const password = `bench passphrase ${randomBytes(9).toString("base64url")}`;
  const registered = await graphql<{ register: { apiKey: string } }>(
    baseUrl,
    "mutation($u: String!, $p: String!) { register(username: $u, password: $p) { apiKey } }",
    { u: username, p: password },
  );
  const apiKey = registered.register.apiKey;
  const me = await graphql<{ me: { id: string } | null }>(baseUrl, "query { me { id } }", {}, apiKey);
  if (!me.me) throw new ApiError("me is null right after register");
  return { username, password, apiKey, userId: me.me.id };
}

export async function login(baseUrl: string, user: Pick<BenchUser, "username" | "password">): Promise<string> {
  const data = await graphql<{ login: { apiKey: string } }>(
    baseUrl,
    "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey } }",
    { u: user.username, p: user.password },
  );
  return data.login.apiKey;
}

export interface Ticket {
  uploadId: string;
  method: "PUT" | "POST";
  url: string;
  headers: { name: string; value: string }[];
}

export async function requestUpload(
  baseUrl: string,
  apiKey: string,
  bytes: Buffer,
  contentType: string,
): Promise<Ticket> {
  const data = await graphql<{ requestUpload: Ticket }>(
    baseUrl,
    `
      mutation ($input: RequestUploadInput!) {
        requestUpload(input: $input) {
          uploadId
          method
          url
          headers {
            name
            value
          }
        }
      }
    `,
    { input: { filename: "bench.png", contentType, size: bytes.length } },
    apiKey,
  );
  if (data.requestUpload.method !== "PUT")
    throw new ApiError(`expected a PUT ticket, got ${data.requestUpload.method}`);
  return data.requestUpload;
}

/** Sends the bytes exactly as the ticket says. */
export async function putBytes(ticket: Ticket, bytes: Buffer): Promise<void> {
  // fetch sets Content-Length from the body itself.
  const headers = Object.fromEntries(
    ticket.headers.filter((h) => h.name.toLowerCase() !== "content-length").map((h) => [h.name, h.value]),
  );
  const response = await fetch(ticket.url, { method: "PUT", headers, body: new Uint8Array(bytes) });
  const text = await response.text();
  if (!response.ok)
    throw new ApiError(
      `PUT ${new URL(ticket.url).pathname.slice(0, 20)}… answered ${response.status}: ${text.slice(0, 200)}`,
    );
}

export async function completeUpload(baseUrl: string, apiKey: string, uploadId: string): Promise<string> {
  const data = await graphql<{ completeUpload: { id: string } }>(
    baseUrl,
    "mutation($id: ID!) { completeUpload(uploadId: $id) { id } }",
    { id: uploadId },
    apiKey,
  );
  return data.completeUpload.id;
}

/** requestUpload → PUT → completeUpload; returns the image id. */
export async function uploadImage(
  baseUrl: string,
  apiKey: string,
  bytes: Buffer,
  contentType: string,
): Promise<string> {
  const ticket = await requestUpload(baseUrl, apiKey, bytes, contentType);
  await putBytes(ticket, bytes);
  return completeUpload(baseUrl, apiKey, ticket.uploadId);
}

/**
 * The first page, asking for the fields `GET /api/v1/me/images` returns for each image (and nothing else), so
 * GraphQL and REST are compared on the same data.
 */
export const FIRST_PAGE_QUERY =
  "query { myImages(first: 20) { nodes { id url filename contentType size width height createdAt } } }";

/** For checking what was seeded. */
export async function myImages(
  baseUrl: string,
  apiKey: string,
  first: number,
): Promise<{ totalCount: number; ids: string[] }> {
  const data = await graphql<{ myImages: { totalCount: number; nodes: { id: string }[] } }>(
    baseUrl,
    "query($first: Int) { myImages(first: $first) { totalCount nodes { id } } }",
    { first },
    apiKey,
  );
  return { totalCount: data.myImages.totalCount, ids: data.myImages.nodes.map((n) => n.id) };
}

/** Where a public link redirects once its image is processed (it answers 503 until then); 60 s at most. */
export async function processedLocation(link: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await fetch(link, { redirect: "manual" });
    await answer.arrayBuffer();
    const location = answer.headers.get("location");
    if (answer.status === 302 && location) return location;
    if (answer.status !== 503 || Date.now() > deadline)
      throw new Error(`${link} answered ${answer.status} instead of redirecting once processed`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
