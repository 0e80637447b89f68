/** ImageHostClient against a real server: typed results, and every failure as a typed ImageHostError. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ImageHostError } from "../../client/errors.js";
import type { MeQuery, MeQueryVariables } from "../../client/generated/graphql.js";
import { MeDocument, useMeQuery } from "../../client/generated/react-query.js";
import { ImageHostClient } from "../../client/image-host-client.js";
import { ImageHostProvider, useImageHostFetcher } from "../../client/react.js";
import { type UploadProgress, canStream, sendBytes } from "../../client/upload.js";
import { uniqueUsername } from "../support/graphql.js";
import { HTML, SVG, makeImage, expectSamePicture } from "../support/images.js";
import { freePort } from "../support/redis-server.js";
import type { S3StorageConfig } from "../../server/config.js";
import { rgwBucket, rgwEnv } from "../support/rgw-bucket.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic } from "../support/uploads.js";

const PASSWORD = "sturdy-maple-orbit-5";

/** A PNG of random pixels: incompressible, so `width*height*3` bytes or so (several 64 KiB chunks). */
function noisePng(width: number, height: number): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

/** A fetch that counts the requests it lets through. */
function countingFetch() {
  const urls: string[] = [];
  const fetchImpl: typeof fetch = (input, init) => {
    urls.push(String(input));
    return fetch(input, init);
  };
  return { urls, fetch: fetchImpl };
}

async function rejection(promise: Promise<unknown>): Promise<ImageHostError> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageHostError);
  return error as ImageHostError;
}

describe.each(["local", "s3"] as const)("ImageHostClient with the %s driver", (driver) => {
  let server: TestApp;
  let s3: S3StorageConfig | undefined;
  let client: ImageHostClient;

  beforeAll(async () => {
    let env: Record<string, string> = {};
    if (driver === "s3") {
      s3 = await rgwBucket();
      env = {
        ...rgwEnv(s3),
      };
    }
    server = await startTestApp(env);
    // Node 20 has no global WebSocket (for `wait`, which listens on the subscription).
    const anonymous = new ImageHostClient({ baseUrl: `${server.baseUrl}/`, webSocket: WebSocket });
    const { apiKey, user } = await anonymous.register(uniqueUsername(driver), PASSWORD);
    client = anonymous.withCredential(apiKey);
    expect(await client.me()).toEqual(user);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("uploads with progress, lists, looks up and deletes", async () => {
    const bytes = await noisePng(160, 160);
    const events: UploadProgress[] = [];
    const image = await client.upload(bytes, {
      filename: "noise.png",
      onProgress: (p) => events.push(p),
      wait: true,
    });
    // `wait`: the image comes back processed, with its thumbnail and placeholder.
    expect(image).toMatchObject({
      filename: "noise.png",
      contentType: "image/png",
      size: bytes.length,
      width: 160,
      height: 160,
      status: "READY",
      variants: [{ width: 160, height: 160, contentType: "image/webp" }],
    });
    expect(image.placeholder).toMatch(/^[A-Za-z0-9+/]+=*$/);
    await expectSamePicture((await fetchPublic(image.url)).bytes, bytes);

    expect(events[0]).toEqual({ sent: 0, total: bytes.length });
    expect(events.at(-1)).toEqual({ sent: bytes.length, total: bytes.length });
    for (let i = 1; i < events.length; i++) expect(events[i]!.sent).toBeGreaterThanOrEqual(events[i - 1]!.sent);
    const distinct = new Set(events.map((e) => e.sent)).size;
    if (driver === "local") {
      // The local upload URL takes a chunked body: real progress, 64 KiB at a time.
      expect(distinct).toBeGreaterThanOrEqual(Math.ceil(bytes.length / 65536) + 1);
    } else {
      // A presigned PUT signs Content-Length, which fetch only sends for a whole body: 0, then all.
      expect(distinct).toBe(2);
    }

    const page = await client.myImages({ first: 10 });
    expect(page.totalCount).toBe(1);
    expect(page.edges[0]!.node).toEqual(image);
    expect(await client.image(image.id)).toEqual(image);
    const all = [];
    for await (const i of client.allImages(1)) all.push(i);
    expect(all).toEqual([image]);
    await client.deleteImage(image.id);
    expect(await client.image(image.id)).toBeNull();
  });

  it("issues tickets the upload helper can stream only where no length is signed", async () => {
    const ticket = await client.requestUpload({ filename: "a.png", contentType: "image/png", size: 100 });
    expect(canStream(ticket)).toBe(driver === "local");
  });

  if (driver === "s3") {
    it("sends a presigned POST form when asked for one", async () => {
      const bytes = await makeImage("webp");
      const blob = new Blob([new Uint8Array(bytes)]);
      const events: UploadProgress[] = [];
      const image = await client.upload(blob, {
        filename: "form.webp",
        method: "POST",
        onProgress: (p) => events.push(p),
      });
      expect(image.contentType).toBe("image/webp");
      expect(events).toEqual([
        { sent: 0, total: bytes.length },
        { sent: bytes.length, total: bytes.length },
      ]);
      await expectSamePicture((await fetchPublic(image.url)).bytes, bytes);
    });
  }

  it("refuses anything but the five image types before sending a single request", async () => {
    const counter = countingFetch();
    const counted = new ImageHostClient({
      baseUrl: server.baseUrl,
      credential: client.credential,
      fetch: counter.fetch,
    });
    for (const [name, bytes] of [
      ["evil.png", SVG],
      ["page.png", HTML],
      ["notes.txt", Buffer.from("hello")],
      ["empty.png", Buffer.alloc(0)],
    ] as const) {
      const error = await rejection(counted.upload(bytes, { filename: name }));
      expect(error.code).toBe("BAD_USER_INPUT");
      expect(error.message).toContain(name);
    }
    expect(counter.urls).toEqual([]);
  });

  it("maps a storage refusal to HTTP_ERROR with the storage's reason", async () => {
    const bytes = await makeImage("png");
    const ticket = await client.requestUpload({ filename: "a.png", contentType: "image/png", size: bytes.length });
    // Local: a forged upload token (our REST error body). S3: a tampered signature (S3's XML error).
    const tampered = ticket.url.replace(
      /X-Amz-Signature=[0-9a-f]/,
      (m) => m.slice(0, -1) + (m.endsWith("0") ? "1" : "0"),
    );
    const url = driver === "local" ? `${server.baseUrl}/uploads/forged-token` : tampered;
    const error = await rejection(sendBytes({ ...ticket, url }, bytes));
    expect(error.code).toBe("HTTP_ERROR");
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.message).toMatch(
      driver === "local"
        ? /answered HTTP 4\d\d: \S/
        : /answered HTTP 403: (SignatureDoesNotMatch|The request signature)/,
    );
  });
});

describe("ImageHostClient errors", () => {
  let server: TestApp;
  let other: Server;
  let otherUrl: string;

  beforeAll(async () => {
    server = await startTestApp();
    // Something that is not an ImageHost: a proxy answering 502 with an HTML page.
    other = createServer((_req, res) =>
      res.writeHead(502, { "content-type": "text/html" }).end("<html><body>Bad gateway</body></html>"),
    );
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => other?.close(resolve));
  });

  it("a revoked API key → UNAUTHENTICATED", async () => {
    const { apiKey } = await new ImageHostClient({ baseUrl: server.baseUrl }).register(
      uniqueUsername("revoke"),
      PASSWORD,
    );
    const session = new ImageHostClient({ baseUrl: server.baseUrl, credential: apiKey });
    const { key, apiKey: record } = await session.createApiKey("ci");
    const keyed = session.withCredential(key);
    expect((await keyed.me())?.id).toBeDefined();
    expect((await session.apiKeys()).map((k) => k.id)).toEqual([record.id]);

    await session.revokeApiKey(record.id);
    for (const call of [() => keyed.me(), () => keyed.myImages(), () => keyed.apiKeys()]) {
      const error = await rejection(call());
      expect(error.code).toBe("UNAUTHENTICATED");
      expect(error.message).toMatch(/revoked/);
      expect(error.requestId).toBeTruthy();
    }
    // Logging out revokes the session itself.
    await session.logout();
    expect((await rejection(session.me())).code).toBe("UNAUTHENTICATED");
  });

  it("no credential: me is null, everything else UNAUTHENTICATED", async () => {
    const anonymous = new ImageHostClient({ baseUrl: server.baseUrl });
    expect(await anonymous.me()).toBeNull();
    expect((await rejection(anonymous.myImages())).code).toBe("UNAUTHENTICATED");
    expect((await rejection(anonymous.deleteImage("AAAAAAAAAAAAAAAA"))).code).toBe("UNAUTHENTICATED");
  });

  it("server codes pass through: BAD_USER_INPUT, CONFLICT, NOT_FOUND (with details)", async () => {
    const anonymous = new ImageHostClient({ baseUrl: server.baseUrl });
    const bad = await rejection(anonymous.register("x", PASSWORD));
    expect(bad.code).toBe("BAD_USER_INPUT");
    const name = uniqueUsername("dup");
    const { apiKey } = await anonymous.register(name, PASSWORD);
    expect((await rejection(anonymous.register(name, PASSWORD))).code).toBe("CONFLICT");
    const user = anonymous.withCredential(apiKey);
    const missing = await rejection(user.deleteImage("AAAAAAAAAAAAAAAA"));
    expect(missing.code).toBe("NOT_FOUND");
    expect((await rejection(user.revokeApiKey("nope"))).code).toBe("NOT_FOUND");
    const tooBig = await rejection(user.requestUpload({ filename: "a.png", contentType: "image/png", size: 10 ** 9 }));
    expect(tooBig.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("nothing listening → NETWORK_ERROR naming the server", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await rejection(new ImageHostClient({ baseUrl: url }).me());
    expect(error.code).toBe("NETWORK_ERROR");
    expect(error.message).toBe(`Cannot reach ${url} (connection refused).`);
  });

  it("an answer that is not GraphQL → HTTP_ERROR with the status", async () => {
    const proxy = await rejection(new ImageHostClient({ baseUrl: otherUrl }).me());
    expect(proxy).toMatchObject({ code: "HTTP_ERROR", status: 502 });
    expect(proxy.message).toBe(`${otherUrl} answered HTTP 502.`);

    const wrongPath = await rejection(new ImageHostClient({ baseUrl: `${server.baseUrl}/not-here` }).me());
    expect(wrongPath).toMatchObject({ code: "HTTP_ERROR", status: 404 });
    expect(wrongPath.message).toContain("No such route");
  });

  it("the generated React Query hooks fetch through the provider's client, with the same typed errors", async () => {
    const { apiKey, user } = await new ImageHostClient({ baseUrl: server.baseUrl }).register(
      uniqueUsername("react"),
      PASSWORD,
    );
    const fetchers: ((variables?: MeQueryVariables) => Promise<MeQuery>)[] = [];
    const Probe = () => {
      fetchers.push(useImageHostFetcher<MeQuery, MeQueryVariables>(MeDocument));
      return null;
    };
    for (const credential of [apiKey, "ih_revoked0000000000000000000000000000000000"]) {
      const client = new ImageHostClient({ baseUrl: server.baseUrl, credential });
      renderToString(createElement(ImageHostProvider, { client }, createElement(Probe)));
    }
    expect(await fetchers[0]!()).toEqual({ me: user });
    expect((await rejection(fetchers[1]!())).code).toBe("UNAUTHENTICATED");
    expect(useMeQuery.getKey()).toEqual(["Me"]);
  });

  it("an aborted request rejects with the abort, not an ImageHostError", async () => {
    const controller = new AbortController();
    controller.abort();
    const client = new ImageHostClient({ baseUrl: server.baseUrl });
    await expect(client.request("query { me { id } }", {}, controller.signal)).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});
