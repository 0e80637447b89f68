import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { humanSize } from "../../cli/format.js";
import { formatBytes, formatDuration } from "../../client/units.js";
import { formatBytes as webFormatBytes } from "../../web/src/format.js";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { REQUEST_UPLOAD } from "../support/uploads.js";

/** Issue 18 point 8: human units everywhere, one convention in the server's messages, the CLI and the web app. */
describe("human units", () => {
  it.each([
    [0, "0 B"],
    [999, "999 B"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [100 * 1024, "100 KiB"],
    [1024 * 1024 - 1, "1 MiB"],
    [20971520, "20 MiB"],
    [5 * 1024 ** 3, "5 GiB"],
  ])("formats %d bytes as %s, the same in the CLI and the web app", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
    expect(humanSize(bytes)).toBe(text);
    expect(webFormatBytes(bytes)).toBe(text);
  });

  it.each([
    [0.2, "1 second"],
    [45, "45 seconds"],
    [2880, "48 minutes"],
    [3540, "59 minutes"],
    [5400, "2 hours"],
    [3 * 86400, "3 days"],
  ])("formats a wait of %d s as %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  describe("in API messages", () => {
    let server: TestApp;
    let key: string;
    beforeAll(async () => {
      server = await startTestApp({ QUOTA_BYTES: String(30 * 1024 * 1024) });
      const r = await gql<{ register: { apiKey: string } }>(
        server.baseUrl,
        `mutation($u: String!) { register(username: $u, password: "velvet-canyon-ember-2") { apiKey } }`,
        { u: uniqueUsername("units") },
      );
      key = r.data!.register.apiKey;
    });
    afterAll(async () => {
      await server?.close();
    });

    it("states the upload limit in MiB, not raw bytes", async () => {
      const input = { filename: "big.png", contentType: "image/png", size: 21 * 1024 * 1024 };
      const r = await gql(server.baseUrl, REQUEST_UPLOAD, { input }, key);
      expect(errorCode(r)).toBe("PAYLOAD_TOO_LARGE");
      expect(r.errors![0]!.message).toBe("Images may be at most 20 MiB.");
    });
  });
});
