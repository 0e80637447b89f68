import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect } from "vitest";
import { AppError } from "../../server/errors.js";
import { registerLocalBlobRoutes } from "../../server/http/local-blob.routes.js";
import type { UploadTargetRequest } from "../../server/ports/blob-store.js";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";

// Shared by the LocalBlobStore unit suites (test/unit/local-blob-store-*.test.ts).

export interface LocalBlobHarness {
  /** A temporary directory holding `root` and, beside it, `secret.txt`, which no crafted key may ever reach. */
  tmp: string;
  root: string;
  baseUrl: string;
  store: LocalBlobStore;
  /** A signed upload URL from `store` and the key it writes. */
  uploadUrl(overrides?: Partial<UploadTargetRequest>): Promise<{ url: string; key: string }>;
  /** Uploads `bytes` through a signed URL; the key they are stored under. */
  stored(bytes: Buffer, contentType?: string): Promise<string>;
  /** A request with the path exactly as written; fetch would normalise `..` and `%2e` away. */
  rawGet(rawPath: string): Promise<{ status: number; body: string }>;
  /** Temporary files left in `<root>/img`. */
  leftovers(): Promise<string[]>;
}

/**
 * Before the file's tests: a LocalBlobStore under a fresh temporary directory, its /uploads and /files routes served
 * over HTTP at `baseUrl`; all removed afterwards. The object is filled in by then.
 */
export function localBlobHarness(secret: Buffer): LocalBlobHarness {
  const h = {
    uploadUrl: (overrides = {}) => uploadUrl(h.store, overrides),
    stored: (bytes, contentType) => stored(h.store, bytes, contentType),
    rawGet: (rawPath) => rawGet(h.baseUrl, rawPath),
    leftovers: () => leftovers(h.root),
  } as LocalBlobHarness;
  let server: http.Server | undefined;
  let app: FastifyInstance | undefined;

  beforeAll(async () => {
    h.tmp = await fs.mkdtemp(path.join(os.tmpdir(), "imagehost-local-unit-"));
    h.root = path.join(h.tmp, "blobs");
    await fs.writeFile(path.join(h.tmp, "secret.txt"), "do not serve");
    const listening = http.createServer();
    server = listening;
    await new Promise<void>((resolve, reject) => {
      listening.once("error", reject);
      listening.listen(0, "127.0.0.1", () => resolve());
    });
    h.baseUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    h.store = new LocalBlobStore({ root: h.root, publicUrl: h.baseUrl, signingSecret: secret });
    app = Fastify({ logger: false, serverFactory: (handler) => listening.on("request", handler) });
    registerLocalBlobRoutes(app, h.store, { servedPrefix: "img/" });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    if (server) {
      const closing = server;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    }
    if (h.tmp) await fs.rm(h.tmp, { recursive: true, force: true });
  });

  return h;
}

export const newKey = () => `img/${randomBytes(16).toString("base64url")}`;

export const uploadRequest = (overrides: Partial<UploadTargetRequest> = {}): UploadTargetRequest => ({
  key: newKey(),
  contentType: "image/png",
  maxBytes: 10_000,
  exactBytes: null,
  expiresAt: Date.now() + 60_000,
  method: "PUT",
  ...overrides,
});

/** Limits for `writeStream`, 1000 bytes at most unless overridden. */
export const writeLimits = (
  overrides: Partial<{ contentType: string; maxBytes: number; exactBytes: number | null }> = {},
) => ({
  contentType: "image/png",
  maxBytes: 1000,
  exactBytes: null,
  ...overrides,
});

async function uploadUrl(
  store: LocalBlobStore,
  overrides: Partial<UploadTargetRequest> = {},
): Promise<{ url: string; key: string }> {
  const req = uploadRequest(overrides);
  return { url: (await store.createUploadTarget(req)).url, key: req.key };
}

export function putBytes(
  url: string,
  bytes: Buffer,
  headers: Record<string, string> = { "content-type": "image/png" },
) {
  return fetch(url, { method: "PUT", headers, body: new Uint8Array(bytes) });
}

async function stored(store: LocalBlobStore, bytes: Buffer, contentType = "image/png"): Promise<string> {
  const { url, key } = await uploadUrl(store, { contentType });
  const response = await putBytes(url, bytes, { "content-type": contentType });
  expect(response.status).toBe(204);
  return key;
}

function rawGet(baseUrl: string, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}/`, { method: "GET", path: rawPath }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

export async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function leftovers(root: string): Promise<string[]> {
  const names = await fs.readdir(path.join(root, "img")).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith("."));
}
