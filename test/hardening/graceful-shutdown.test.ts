import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, uniqueUsername } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { COMPLETE_UPLOAD, requestUpload } from "../support/uploads.js";

/** SEC-18: on shutdown the server stops accepting, lets in-flight requests finish, then closes Redis. */
describe("graceful shutdown (SEC-18)", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server?.close());

  it("finishes an upload that is still streaming when shutdown starts, and refuses new connections", async () => {
    const key = (
      await gql<{ register: { apiKey: string } }>(
        server.baseUrl,
        `mutation($u: String!) { register(username: $u, password: "tidal-marble-frost-9") { apiKey } }`,
        { u: uniqueUsername("drain") },
      )
    ).data!.register.apiKey;
    const bytes = await makeImage("png", 64, 64);
    const ticket = await requestUpload(server.baseUrl, key, {
      filename: "slow.png",
      contentType: "image/png",
      size: bytes.length,
    });

    // Send the body in slices with pauses, so the request is in flight for a while.
    const url = new URL(ticket.url);
    const answered = new Promise<number>((resolve, reject) => {
      const request = http.request(
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
      const slices = 5;
      const size = Math.ceil(bytes.length / slices);
      let sent = 0;
      const next = () => {
        if (sent >= bytes.length) {
          request.end();
          return;
        }
        request.write(bytes.subarray(sent, sent + size));
        sent += size;
        setTimeout(next, 150);
      };
      next();
    });

    await new Promise((r) => setTimeout(r, 200)); // the upload has started
    const closing = server.app.close();
    await new Promise((r) => setTimeout(r, 50));
    const refused = await fetch(`${server.baseUrl}/health`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
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
