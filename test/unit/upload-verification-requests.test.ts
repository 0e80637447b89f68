import http from "node:http";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UploadTicketRecord } from "../../server/ports/image-store.js";
import { newId } from "../../server/services/credentials.js";
import { originalKeyFor, uploadKeyFor } from "../../server/services/image-keys.js";
import { verifyAndPromote } from "../../server/services/upload-verification.js";
import { s3StoreFactory } from "../support/s3-offline.js";
import { type RunningS3rver, startS3rver } from "../support/s3rver.js";
import { type StandInServer, standInServer } from "../support/stand-in-server.js";

const makeStore = s3StoreFactory();

/** A pass-through HTTP proxy in front of `target` that writes down each request as "METHOD /path". */
async function countingProxy(target: string): Promise<StandInServer & { seen: string[] }> {
  const seen: string[] = [];
  const proxy = await standInServer((request, response) => {
    seen.push(`${request.method} ${new URL(request.url!, target).pathname}`);
    const upstream = http.request(
      new URL(request.url!, target),
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => response.destroy());
    request.pipe(upstream);
  });
  return { ...proxy, seen };
}

/**
 * Issue 16: completing an upload asks the store about the moved object once. S3's promote already reads the copy
 * back to compare its ETag, so a second look cost one more HEAD request (a network round trip) per completion.
 */
describe("verifying an upload stored in S3", () => {
  let s3: RunningS3rver | undefined;
  let proxy: Awaited<ReturnType<typeof countingProxy>> | undefined;
  beforeAll(async () => {
    s3 = await startS3rver();
    proxy = await countingProxy(s3.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.stop();
  });

  it("moves it, checks its bytes and sends one HEAD for the final key (promote's own)", async () => {
    const store = makeStore({ ...s3!.config, endpoint: proxy!.endpoint });
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: "#2a9d8f" } })
      .png()
      .toBuffer();
    const uploadId = newId();
    const now = Date.now();
    const ticket: UploadTicketRecord = {
      uploadId,
      userId: newId(),
      key: uploadKeyFor(uploadId),
      filename: "teal.png",
      contentType: "image/png",
      maxBytes: png.length,
      declaredBytes: png.length,
      visibility: "public",
      createdAt: now,
      expiresAt: now + 60_000,
    };
    await store.put(ticket.key, png, "image/png");
    const finalKey = originalKeyFor(uploadId);
    proxy!.seen.length = 0;

    const verified = await verifyAndPromote(store, ticket, finalKey);

    expect(verified).toEqual({ contentType: "image/png", size: png.length, width: 40, height: 30 });
    expect(await store.stat(ticket.key)).toBeNull();
    const final = `/${s3!.bucket}/${finalKey}`;
    expect(proxy!.seen.filter((request) => request === `HEAD ${final}`)).toHaveLength(1);
    // The bytes checked are read from the final key, not from the upload.
    expect(proxy!.seen.some((request) => request === `GET ${final}`)).toBe(true);
  });
});
