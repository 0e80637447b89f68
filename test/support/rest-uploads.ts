import { afterAll, beforeAll, expect } from "vitest";
import type { S3StorageConfig } from "../../server/config.js";
import { registerUser, rest } from "../rest/rest-client.js";
import { rgwBucket, rgwEnv } from "./rgw-bucket.js";
import { startTestApp, type TestApp } from "./test-app.js";

// Shared by the REST upload suites (test/rest/uploads*.test.ts): an old client's calls, on either storage driver.

export const MAX_UPLOAD_BYTES = 64 * 1024;

export type Ticket = { iid: string; key: string; filename: string; presigned_url: string };

interface RestUploadServer {
  server: TestApp;
  /** The RGW bucket of the s3 driver; undefined for local. */
  s3: S3StorageConfig | undefined;
}

/**
 * Before the enclosing describe's tests: a server on `driver` with MAX_UPLOAD_BYTES; closed afterwards. The
 * object is filled in by then; the helpers are for use inside tests.
 */
export function restUploadServer(driver: "local" | "s3") {
  const h = {} as RestUploadServer;
  beforeAll(async () => {
    if (driver === "s3") h.s3 = await rgwBucket();
    h.server = await startTestApp({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), ...(h.s3 ? rgwEnv(h.s3) : {}) });
  });
  afterAll(async () => {
    await h.server?.close();
  });

  const baseUrl = () => h.server.baseUrl;
  const newUser = async () => (await registerUser(baseUrl(), driver)).key;
  const requestUpload = (key: string, json: unknown) =>
    rest(baseUrl(), "POST", "/api/v1/upload/request", { key, json });
  const completeUpload = (key: string, json: unknown) =>
    rest(baseUrl(), "POST", "/api/v1/upload/complete", { key, json });
  const myImages = (key: string, query = "") => rest(baseUrl(), "GET", `/api/v1/me/images${query}`, { key });
  const deleteImage = (key: string | undefined, id: string) =>
    rest(baseUrl(), "DELETE", `/api/v1/image/${id}`, { key });

  /** What an old client does with presigned_url: a plain PUT, only Content-Type set, the file as the body. */
  const putBytes = (url: string, bytes: Buffer, contentType: string) =>
    fetch(url, { method: "PUT", headers: { "Content-Type": contentType }, body: new Uint8Array(bytes) });

  async function ticketFor(key: string, filename = "cat.png", mime_type = "image/png", size?: number): Promise<Ticket> {
    const r = await requestUpload(key, { filename, mime_type, ...(size !== undefined ? { size } : {}) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  }

  /** request → PUT → complete, as an old client; returns the completed image. */
  async function upload(
    key: string,
    bytes: Buffer,
    filename = "cat.png",
    mime = "image/png",
  ): Promise<{ id: string; url: string }> {
    const ticket = await ticketFor(key, filename, mime);
    expect((await putBytes(ticket.presigned_url, bytes, mime)).ok).toBe(true);
    const done = await completeUpload(key, {
      iid: ticket.iid,
      key: ticket.key,
      filename: ticket.filename,
      mime_type: mime,
    });
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    return done.body;
  }

  return { handle: h, newUser, requestUpload, completeUpload, myImages, deleteImage, putBytes, ticketFor, upload };
}
