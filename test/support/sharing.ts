import { expect } from "vitest";
import { errorCode, gql } from "./graphql.js";
import { makeImage } from "./images.js";
import { type ImageData, REQUEST_UPLOAD, sendBytes, type Ticket, COMPLETE_UPLOAD, awaitSettled } from "./uploads.js";

/** Uploads a fresh PNG with the given visibility (omitted: the server's default). */
export async function uploadPng(
  baseUrl: string,
  key: string,
  visibility?: "PUBLIC" | "PRIVATE",
): Promise<ImageData & { visibility: string; viewUrl: string }> {
  const bytes = await makeImage("png", 6, 4);
  const input: Record<string, unknown> = { filename: "pic.png", contentType: "image/png", size: bytes.length };
  if (visibility) input.visibility = visibility;
  const requested = await gql<{ requestUpload: Ticket }>(baseUrl, REQUEST_UPLOAD, { input }, key);
  expect(requested.errors, JSON.stringify(requested.errors)).toBeUndefined();
  const ticket = requested.data!.requestUpload;
  expect((await sendBytes(ticket, bytes)).ok).toBe(true);
  const done = await gql<{ completeUpload: ImageData }>(baseUrl, COMPLETE_UPLOAD, { id: ticket.uploadId }, key);
  expect(done.errors, JSON.stringify(done.errors)).toBeUndefined();
  await awaitSettled(baseUrl, key, ticket.uploadId);
  const image = await gql<{ image: ImageData & { visibility: string; viewUrl: string } }>(
    baseUrl,
    `query($id: ID!) { image(id: $id) { id url viewUrl filename contentType size width height createdAt visibility } }`,
    { id: ticket.uploadId },
    key,
  );
  return image.data!.image;
}

/** Runs a GraphQL operation that must succeed and returns its data. */
export async function ok<T>(baseUrl: string, query: string, variables: Record<string, unknown>, key?: string) {
  const r = await gql<T>(baseUrl, query, variables, key);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!;
}

/** Runs a GraphQL operation that must fail and returns its error code. */
export async function failing(baseUrl: string, query: string, variables: Record<string, unknown>, key?: string) {
  const r = await gql(baseUrl, query, variables, key);
  expect(r.errors, `expected an error from ${query}`).toBeDefined();
  return errorCode(r);
}

/** The status of a link, without following redirects. */
export async function statusOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, { redirect: "manual", headers });
  await response.arrayBuffer();
  return response.status;
}
