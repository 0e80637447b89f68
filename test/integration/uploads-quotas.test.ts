import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { errorCode, gql } from "../support/graphql.js";
import { makeImage } from "../support/images.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { registerApiKey } from "../support/upload-setups.js";
import { COMPLETE_UPLOAD, MY_IMAGES, REQUEST_UPLOAD, type Ticket, sendBytes, uploadImage } from "../support/uploads.js";

describe("quotas (SEC-13)", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({ QUOTA_IMAGES: "2", QUOTA_BYTES: "100000" });
  });
  afterAll(() => server?.close());

  it("refuses an upload request over the image-count or byte quota", async () => {
    const key = await registerApiKey(server.baseUrl, "quota");
    const big = await gql(
      server.baseUrl,
      REQUEST_UPLOAD,
      { input: { filename: "a.png", contentType: "image/png", size: 100_001 } },
      key,
    );
    expect(errorCode(big)).toBe("PAYLOAD_TOO_LARGE");
    expect(big.errors![0]!.message).toMatch(/quota/i);
    await uploadImage(server.baseUrl, key, await makeImage("png"), "image/png");
    await uploadImage(server.baseUrl, key, await makeImage("png"), "image/png");
    const third = await gql(
      server.baseUrl,
      REQUEST_UPLOAD,
      { input: { filename: "a.png", contentType: "image/png", size: 100 } },
      key,
    );
    expect(errorCode(third)).toBe("PAYLOAD_TOO_LARGE");
    expect(third.errors![0]!.message).toMatch(/2 images/);
  });

  it("grants no more than the quota to concurrent requests, and completes no more (issue 15)", async () => {
    const key = await registerApiKey(server.baseUrl, "quota");
    const bytes = await makeImage("png");
    const requests = await Promise.all(
      Array.from({ length: 6 }, () =>
        gql<{ requestUpload: Ticket }>(
          server.baseUrl,
          REQUEST_UPLOAD,
          { input: { filename: "a.png", contentType: "image/png", size: bytes.length } },
          key,
        ),
      ),
    );
    const granted = requests.filter((r) => r.errors === undefined).map((r) => r.data!.requestUpload);
    expect(granted).toHaveLength(2);
    for (const refused of requests.filter((r) => r.errors !== undefined)) {
      expect(errorCode(refused)).toBe("PAYLOAD_TOO_LARGE");
      expect(refused.errors![0]!.message).toMatch(/2 images, counting uploads in progress/);
    }
    for (const ticket of granted) {
      await sendBytes(ticket, bytes);
      expect((await gql(server.baseUrl, COMPLETE_UPLOAD, { id: ticket.uploadId }, key)).errors).toBeUndefined();
    }
    const listed = await gql<{ myImages: { totalCount: number } }>(server.baseUrl, MY_IMAGES, {}, key);
    expect(listed.data!.myImages.totalCount).toBe(2);
  });
});
