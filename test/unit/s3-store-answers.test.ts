import { randomBytes } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DependencyUnavailableError, ErrorCode } from "../../server/errors.js";
import { BlobChangedError } from "../../server/ports/blob-store.js";
import type { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { StorageMisconfiguredError } from "../../server/storage/s3-errors.js";
import { offline, s3StoreFactory, uploadRequest } from "../support/s3-offline.js";
import { type RunningS3rver, startS3rver } from "../support/s3rver.js";
import { standInServer } from "../support/stand-in-server.js";

/**
 * S3BlobStore against a store that answers: s3rver, and small stand-ins where s3rver differs from S3 (an empty
 * object, a copy precondition) or where the store cannot be reached.
 */

const makeStore = s3StoreFactory();

describe("against s3rver", () => {
  let s3: RunningS3rver | undefined;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await s3?.stop();
  });
  const running = () => {
    if (s3 === undefined) throw new Error("s3rver did not start");
    return s3;
  };

  it("says clearly when the bucket does not exist", async () => {
    const store = makeStore({ ...running().config, bucket: "no-such-bucket" });
    const error = await store.checkReady().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageMisconfiguredError);
    expect((error as Error).message).toMatch(/bucket "no-such-bucket" does not exist/);
    await expect(makeStore(running().config).checkReady()).resolves.toBeUndefined();
  });

  it("stores what a presigned PUT of the declared size sends", async () => {
    const store = makeStore(running().config);
    const key = `img/${randomBytes(12).toString("base64url")}`;
    const target = await store.createUploadTarget(uploadRequest({ key, contentType: "image/gif", exactBytes: 300 }));
    const bytes = randomBytes(300);
    const response = await fetch(target.url, { method: "PUT", headers: { "content-type": "image/gif" }, body: bytes });
    expect(response.ok).toBe(true);
    expect(await store.stat(key)).toMatchObject({ size: 300, contentType: "image/gif" });
  });
});

// s3rver answers a ranged GET of an empty object with a Content-Length of 1 and no byte, so this stands in for S3,
// which answers 416 InvalidRange.
describe("an empty object", () => {
  it("reads as an empty head when the store answers 416 to the range", async () => {
    const s3 = await standInServer((req, res) => {
      res.statusCode = req.headers.range === "bytes=0-15" ? 416 : 500;
      res.setHeader("content-type", "application/xml");
      res.end('<?xml version="1.0"?><Error><Code>InvalidRange</Code><Message>not satisfiable</Message></Error>');
    });
    try {
      const store = makeStore({ ...offline, endpoint: s3.endpoint });
      expect(await store.readHead("img/empty", 16)).toEqual(Buffer.alloc(0));
    } finally {
      await s3.close();
    }
  });
});

// s3rver ignores copy preconditions, so this stands in for S3: it records the copy and answers 412 as S3 does
// when the source's ETag no longer matches.
describe("promoting a checked upload", () => {
  it("copies only if the source still has the checked ETag, and maps a mismatch to BlobChangedError", async () => {
    const seen: { method: string; url: string; ifMatch: unknown; source: unknown }[] = [];
    const s3 = await standInServer((req, res) => {
      seen.push({
        method: req.method!,
        url: req.url!,
        ifMatch: req.headers["x-amz-copy-source-if-match"],
        source: req.headers["x-amz-copy-source"],
      });
      res.statusCode = 412;
      res.setHeader("content-type", "application/xml");
      res.end(
        '<?xml version="1.0"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>',
      );
    });
    try {
      const store = makeStore({ ...offline, endpoint: s3.endpoint });
      await expect(store.promote("up/AbC_d-123", "img/AbC_d-123", '"etag-1"')).rejects.toBeInstanceOf(BlobChangedError);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        method: "PUT",
        ifMatch: '"etag-1"',
        source: expect.stringMatching(/up\/AbC_d-123$/),
      });
      expect(seen[0]!.url).toContain("img/AbC_d-123");
    } finally {
      await s3.close();
    }
  });
});

describe("when the store cannot be reached", () => {
  async function freePort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
  }

  async function expectUnavailable(store: S3BlobStore, withinMs: number): Promise<void> {
    const started = Date.now();
    const outcomes = await Promise.all([
      store.checkReady().catch((e: unknown) => e),
      store.stat("img/abc").catch((e: unknown) => e),
      store.readHead("img/abc", 16).catch((e: unknown) => e),
      store.delete("img/abc").catch((e: unknown) => e),
    ]);
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(DependencyUnavailableError);
      expect((outcome as DependencyUnavailableError).dependency).toBe("storage");
      expect((outcome as DependencyUnavailableError).code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
    }
    expect(Date.now() - started).toBeLessThan(withinMs);
  }

  it("maps a refused connection to DependencyUnavailableError, quickly", async () => {
    const port = await freePort();
    await expectUnavailable(makeStore({ ...offline, endpoint: `http://127.0.0.1:${port}` }), 5_000);
  });

  it("maps 5xx answers to DependencyUnavailableError", async () => {
    const s3 = await standInServer((_req, res) => {
      res.statusCode = 503;
      res.setHeader("content-type", "application/xml");
      res.end('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>busy</Message></Error>');
    });
    try {
      await expectUnavailable(makeStore({ ...offline, endpoint: s3.endpoint }), 10_000);
    } finally {
      await s3.close();
    }
  });

  it("gives up on a store that accepts connections but never answers within seconds", async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    try {
      const { port } = server.address() as AddressInfo;
      // Two attempts of at most 3 s each to the response headers.
      await expectUnavailable(makeStore({ ...offline, endpoint: `http://127.0.0.1:${port}` }), 9_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 20_000);
});
