import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql } from "../support/graphql.js";
import { makeImage, expectSamePicture } from "../support/images.js";
import { registerApiKey } from "../support/upload-setups.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { COMPLETE_UPLOAD, fetchPublic, requestUpload, sendBytes } from "../support/uploads.js";

const SECRET = "shared-upload-signing-secret-0123456789abcdef";

/**
 * Issue 9: no per-node state. Two local-driver nodes sharing one data directory and UPLOAD_SIGNING_SECRET accept
 * each other's signed upload URLs; a node with another secret refuses them.
 */
describe("upload URLs signed on one node, used on another", () => {
  let shared: string;
  let nodeA: TestApp;
  let nodeB: TestApp;
  let stranger: TestApp;
  beforeAll(async () => {
    shared = await mkdtemp(path.join(os.tmpdir(), "ih-shared-"));
    [nodeA, nodeB, stranger] = await Promise.all([
      startTestApp({ DATA_DIR: shared, UPLOAD_SIGNING_SECRET: SECRET }),
      startTestApp({ DATA_DIR: shared, UPLOAD_SIGNING_SECRET: SECRET }),
      startTestApp({ DATA_DIR: shared, UPLOAD_SIGNING_SECRET: `${SECRET}-other` }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([nodeA?.app.close(), nodeB?.app.close(), stranger?.app.close()]);
    await Promise.all([nodeA, nodeB, stranger].map((n) => n && rm(n.dataDir, { recursive: true, force: true })));
    await rm(shared, { recursive: true, force: true });
  });

  const onNode = (url: string, node: TestApp) => url.replace(/^http:\/\/[^/]+/, node.baseUrl);

  it("lets any node with the same secret take the bytes and complete the upload", async () => {
    const key = await registerApiKey(nodeA.baseUrl, "nodes");
    const bytes = await makeImage("png");
    const ticket = await requestUpload(nodeA.baseUrl, key, {
      filename: "a.png",
      contentType: "image/png",
      size: bytes.length,
    });

    const refused = await sendBytes({ ...ticket, url: onNode(ticket.url, stranger) }, bytes);
    expect(refused.status).toBe(400);
    expect((await sendBytes({ ...ticket, url: onNode(ticket.url, nodeB) }, bytes)).ok).toBe(true);

    const completed = await gql<{ completeUpload: { url: string } }>(
      nodeB.baseUrl,
      COMPLETE_UPLOAD,
      { id: ticket.uploadId },
      key,
    );
    expect(completed.errors).toBeUndefined();
    await expectSamePicture((await fetchPublic(onNode(completed.data!.completeUpload.url, nodeA))).bytes, bytes);
  });
});
