import { expect } from "vitest";
import { gql } from "./graphql.js";

export interface Ticket {
  uploadId: string;
  method: "PUT" | "POST";
  url: string;
  headers: { name: string; value: string }[];
  fields: { name: string; value: string }[];
  expiresAt: string;
  maxBytes: number;
}

export interface ImageData {
  id: string;
  url: string;
  filename: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
  createdAt: string;
}

export const IMAGE_FIELDS = "id url filename contentType size width height createdAt";
export const REQUEST_UPLOAD = `mutation($input: RequestUploadInput!) {
  requestUpload(input: $input) { uploadId method url headers { name value } fields { name value } expiresAt maxBytes }
}`;
export const COMPLETE_UPLOAD = `mutation($id: ID!) { completeUpload(uploadId: $id) { ${IMAGE_FIELDS} } }`;
export const DELETE_IMAGE = `mutation($id: ID!) { deleteImage(id: $id) }`;
export const IMAGE = `query($id: ID!) { image(id: $id) { ${IMAGE_FIELDS} } }`;
export const MY_IMAGES = `query($first: Int, $after: String) {
  myImages(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${IMAGE_FIELDS} } } nodes { id } }
}`;

/** Sends the bytes exactly as the ticket says, as any client would. */
export async function sendBytes(ticket: Ticket, bytes: Buffer, contentType?: string): Promise<Response> {
  if (ticket.method === "POST") {
    const form = new FormData();
    for (const field of ticket.fields) form.append(field.name, field.value);
    form.append("file", new Blob([new Uint8Array(bytes)], { type: contentType }), "upload");
    return fetch(ticket.url, { method: "POST", body: form });
  }
  // fetch sets Content-Length from the body itself (browsers forbid setting it), so a signed length is implied.
  const headers = Object.fromEntries(
    ticket.headers.filter((h) => h.name.toLowerCase() !== "content-length").map((h) => [h.name, h.value]),
  );
  if (contentType) headers["Content-Type"] = contentType;
  return fetch(ticket.url, { method: "PUT", headers, body: new Uint8Array(bytes) });
}

export async function requestUpload(
  baseUrl: string,
  key: string,
  input: { filename: string; contentType: string; size: number; method?: "PUT" | "POST" },
): Promise<Ticket> {
  const result = await gql<{ requestUpload: Ticket }>(baseUrl, REQUEST_UPLOAD, { input }, key);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data!.requestUpload;
}

/**
 * request → send → complete; returns the recorded image. Unless `awaitProcessed` is false, it also waits until the
 * pipeline has processed it (READY or FAILED), so its link answers at once, as most tests expect.
 */
export async function uploadImage(
  baseUrl: string,
  key: string,
  bytes: Buffer,
  contentType: string,
  options: { filename?: string; method?: "PUT" | "POST"; awaitProcessed?: boolean } = {},
): Promise<ImageData> {
  const ticket = await requestUpload(baseUrl, key, {
    filename: options.filename ?? "picture",
    contentType,
    size: bytes.length,
    method: options.method,
  });
  const sent = await sendBytes(ticket, bytes);
  expect(sent.ok, `upload answered ${sent.status}: ${await sent.clone().text()}`).toBe(true);
  const completed = await gql<{ completeUpload: ImageData }>(baseUrl, COMPLETE_UPLOAD, { id: ticket.uploadId }, key);
  expect(completed.errors, JSON.stringify(completed.errors)).toBeUndefined();
  const image = completed.data!.completeUpload;
  if (options.awaitProcessed !== false) await awaitSettled(baseUrl, key, image.id);
  return image;
}

/** Polls the owner's view of the image until it leaves PROCESSING (within PROCESSING_DEADLINE_MS). */
export async function awaitSettled(baseUrl: string, key: string, imageId: string): Promise<string> {
  const deadline = Date.now() + PROCESSING_DEADLINE_MS;
  for (;;) {
    const result = await gql<{ image: { status: string } | null }>(
      baseUrl,
      `query($id: ID!) { image(id: $id) { status } }`,
      { id: imageId },
      key,
    );
    const status = result.data?.image?.status ?? "GONE";
    if (status !== "PROCESSING") return status;
    if (Date.now() > deadline) throw new Error(`image ${imageId} still PROCESSING after ${PROCESSING_DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** How long tests wait for an image to be processed, ms. */
export const PROCESSING_DEADLINE_MS = 20_000;

/** The first answer of the public link that is not "still processing" (503 + Retry-After), within the deadline. */
export async function awaitProcessed(url: string, init: RequestInit = {}): Promise<Response> {
  const deadline = Date.now() + PROCESSING_DEADLINE_MS;
  for (;;) {
    const response = await fetch(url, { redirect: "manual", ...init });
    if (response.status !== 503 || !response.headers.has("retry-after") || Date.now() > deadline) return response;
    await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Follows the public link to the bytes, as a browser would, once the image is processed. */
export async function fetchPublic(
  url: string,
): Promise<{ status: number; bytes: Buffer; contentType: string | null; location: string | null }> {
  const first = await awaitProcessed(url);
  const location = first.headers.get("location");
  if (first.status !== 302 || !location)
    return { status: first.status, bytes: Buffer.from(await first.arrayBuffer()), contentType: null, location };
  const second = await fetch(location);
  return {
    status: second.status,
    bytes: Buffer.from(await second.arrayBuffer()),
    contentType: second.headers.get("content-type"),
    location,
  };
}
