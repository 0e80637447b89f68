import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { registerApiKey } from "../support/upload-setups.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { until } from "../support/until.js";
import { COMPLETE_UPLOAD, requestUpload } from "../support/uploads.js";

/** SEC-18: on shutdown the server stops accepting, lets in-flight requests finish, then closes Redis. */
describe("graceful shutdown (SEC-18)", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server?.close());

  it("finishes an upload that is still streaming when shutdown starts, and refuses new connections", async () => {
    const key = await registerApiKey(server.baseUrl, "drain");
    const bytes = await makeImage("png", 64, 64);
    const ticket = await requestUpload(server.baseUrl, key, {
      filename: "slow.png",
      contentType: "image/png",
      size: bytes.length,
    });

    // Half the body now, the rest only once shutdown has begun: the request is in flight throughout.
    const url = new URL(ticket.url);
    const arrived = new Promise<void>((resolve) => {
      const onRequest = (incoming: http.IncomingMessage) => {
        if (incoming.url !== url.pathname) return;
        server.app.http.server.off("request", onRequest);
        resolve();
      };
      server.app.http.server.on("request", onRequest);
    });
    const half = Math.floor(bytes.length / 2);
    let request!: http.ClientRequest;
    const answered = new Promise<number>((resolve, reject) => {
      request = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "PUT",
          headers: { "content-type": "image/png", "content-length": bytes.length },
        },
        (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode!));
        },
      );
      request.on("error", reject);
      request.write(bytes.subarray(0, half));
    });

    await arrived; // the server is reading the upload
    const closing = server.app.close();
    await until(
      "the server stops listening",
      async () => server.app.http.server.listening,
      (listening) => !listening,
      5_000,
    );
    const refused = await fetch(`${server.baseUrl}/health`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
    request.end(bytes.subarray(half));
    expect(await answered).toBe(204);
    // Once the last request is done, shutdown does not sit out keep-alive timeouts.
    const drained = Date.now();
    await closing;
    expect(Date.now() - drained).toBeLessThan(2000);

    // The bytes really landed: a fresh server on the same data completes the upload.
    const again = await startTestApp({ DATA_DIR: server.dataDir });
    try {
      const completed = await gql<{ completeUpload: { size: number } }>(
        again.baseUrl,
        COMPLETE_UPLOAD,
        { id: ticket.uploadId },
        key,
      );
      expect(completed.errors).toBeUndefined();
      expect(completed.data!.completeUpload.size).toBe(bytes.length);
    } finally {
      await again.app.close();
    }
  });
});
