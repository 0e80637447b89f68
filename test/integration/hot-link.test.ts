import diagnostics from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeImage } from "../support/images.js";
import { registerApiKey } from "../support/upload-setups.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { uploadImage } from "../support/uploads.js";

const TOKEN = "metrics-token-for-hot-link-0123456789";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const APP_ORIGIN = "https://app.example.com";
/** Fastify publishes each route handler it runs here (its diagnostics channel): a hot answer never shows up. */
const FASTIFY_HANDLER_START = "tracing:fastify.request.handler:start";

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Issue 16: a hot public link is answered ahead of Fastify (server/http/hot-link.ts). Whoever answers, a client,
 * an operator's log and the metrics must not see a difference: each hot answer is compared with the one Fastify's
 * route gives for the same link (the first request, a cache miss, and any request with a query string). Also with
 * CORS on, where @fastify/cors adds `Vary: Origin` to every answer and answers a listed Origin itself.
 */
describe.each([
  ["CORS off (the default)", {}],
  ["CORS on", { CORS_ORIGINS: APP_ORIGIN }],
])("hot public links, %s", (_config, env: Record<string, string>) => {
  let app: TestApp;
  const logLines: Record<string, unknown>[] = [];
  let imageId: string;
  /** The URLs of the requests that reached a Fastify route handler while this block's tests ran. */
  const routed: string[] = [];
  const onHandlerStart = (message: unknown) => routed.push((message as { request: { url: string } }).request.url);

  beforeAll(async () => {
    diagnostics.subscribe(FASTIFY_HANDLER_START, onHandlerStart);
    app = await startTestApp(
      { LOG_LEVEL: "info", METRICS_TOKEN: TOKEN, ...env },
      {
        logStream: {
          write: (chunk) => {
            for (const line of chunk.split("\n")) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
          },
        },
      },
    );
    const key = await registerApiKey(app.baseUrl, "hot");
    // Wide enough for a w320 thumbnail.
    imageId = (await uploadImage(app.baseUrl, key, await makeImage("png", 700, 500), "image/png")).id;
  });
  afterAll(async () => {
    diagnostics.unsubscribe(FASTIFY_HANDLER_START, onHandlerStart);
    await app?.close();
  });

  const ask = async (path: string, method: "GET" | "HEAD" = "GET", headers: HeadersInit = {}): Promise<Answer> => {
    const response = await fetch(`${app.baseUrl}${path}`, { method, redirect: "manual", headers });
    return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  };
  /** What may differ between two answers to the same link: when, and which request. */
  const comparable = ({ headers: { date, "x-request-id": id, ...headers }, ...rest }: Answer) => {
    expect(id).toMatch(UUID);
    expect(date).toBeDefined();
    return { ...rest, headers };
  };
  /** Its access line (lines reach the log a moment after their answers). */
  const accessLineOf = async (answer: Answer) => {
    const linesOf = () => logLines.filter((line) => line.reqId === answer.headers["x-request-id"]);
    await expect.poll(() => linesOf().length).toBe(1);
    const lines = linesOf();
    const { time, ms, reqId, ...line } = lines[0]!;
    expect(typeof time).toBe("number");
    expect(typeof ms).toBe("number");
    expect(reqId).toBe(answer.headers["x-request-id"]);
    return line;
  };

  it.each([
    ["the image", () => `/image/${imageId}`],
    ["its thumbnail", () => `/image/${imageId}/w320`],
    ["the REST alias", () => `/api/v1/image/${imageId}`],
  ])("answers %s hot exactly as the route does cold: status, headers, body, access line", async (_name, pathOf) => {
    const path = pathOf();
    const cold = await ask(path);
    expect(cold.status).toBe(302);
    expect(cold.headers.location).toMatch(/\/files\/img\//);
    routed.length = 0;
    const hot = [await ask(path), await ask(path)];
    // The hot answers never reached Fastify's route; the one with a query string did.
    expect(routed).toEqual([]);
    const viaRoute = await ask(`${path}?via=route`);
    expect(routed).toEqual([`${path}?via=route`]);
    for (const answer of [...hot, viaRoute]) expect(comparable(answer)).toEqual(comparable(cold));
    expect(cold.headers.vary).toBe(env.CORS_ORIGINS ? "Origin" : undefined);
    expect(new Set([cold, ...hot, viaRoute].map((a) => a.headers["x-request-id"])).size).toBe(4);

    // The same kind of line as pino's own (Fastify's "Server listening" line, say): a shipper sees one format.
    const pinoLine = logLines.find((line) => String(line.msg).startsWith("Server listening"));
    const coldLine = await accessLineOf(cold);
    expect(coldLine).toEqual({
      level: 30,
      pid: pinoLine?.pid,
      hostname: pinoLine?.hostname,
      method: "GET",
      url: path,
      statusCode: 302,
      msg: "request",
    });
    for (const answer of hot) expect(await accessLineOf(answer)).toEqual(coldLine);
  });

  it("answers HEAD hot as the route does: the GET's headers, no body", async () => {
    const path = `/image/${imageId}`;
    const viaRoute = await ask(`${path}?via=route`, "HEAD");
    expect(viaRoute).toMatchObject({ status: 302, body: "" });
    expect(viaRoute.headers.location).toBe((await ask(path)).headers.location);
    const head = [await ask(path, "HEAD"), await ask(path, "HEAD")];
    for (const answer of head) expect(comparable(answer)).toEqual(comparable(viaRoute));
    expect(await accessLineOf(head[1]!)).toMatchObject({ method: "HEAD", url: path, statusCode: 302 });
  });

  it("writes a hot answer at the end of the turn that read its request, not inside the request handler", async () => {
    const path = `/image/${imageId}`;
    expect((await ask(path)).status).toBe(302);
    // A listener after the server's own: what it sees is what the handler left (end-of-turn.ts).
    const sentInHandler: boolean[] = [];
    const observe = (request: IncomingMessage, response: ServerResponse) => {
      if (request.url === path) sentInHandler.push(response.headersSent);
    };
    app.app.http.server.on("request", observe);
    try {
      const answers = await Promise.all([ask(path), ask(path, "HEAD")]);
      expect(answers.map((a) => a.status)).toEqual([302, 302]);
    } finally {
      app.app.http.server.off("request", observe);
    }
    expect(sentInHandler).toEqual([false, false]);
  });

  it("answers a request naming an Origin hot without CORS, and through @fastify/cors with it", async () => {
    const path = `/image/${imageId}`;
    const plain = await ask(path);
    routed.length = 0;
    const listed = await ask(path, "GET", { origin: APP_ORIGIN });
    const other = await ask(path, "GET", { origin: "https://elsewhere.example" });
    for (const answer of [listed, other]) {
      expect(answer.status).toBe(302);
      expect(answer.headers.location).toBe(plain.headers.location);
    }
    if (env.CORS_ORIGINS) {
      expect(routed).toEqual([path, path]);
      expect(listed.headers["access-control-allow-origin"]).toBe(APP_ORIGIN);
      expect(other.headers["access-control-allow-origin"]).toBeUndefined();
      expect([listed.headers.vary, other.headers.vary]).toEqual(["Origin", "Origin"]);
    } else {
      expect(routed).toEqual([]);
      for (const answer of [listed, other]) expect(comparable(answer)).toEqual(comparable(plain));
    }
  });

  it("counts hot answers in the request metrics by route pattern, like the route does", async () => {
    const scrape = async () =>
      (await fetch(`${app.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const series = (text: string, route: string): [number, number] => {
      const count = new RegExp(
        `^imagehost_http_requests_total\\{method="GET",route="${route}",status="302"\\} (\\d+)$`,
        "m",
      ).exec(text);
      const timed = new RegExp(
        `^imagehost_http_request_duration_seconds_count\\{method="GET",route="${route}"\\} (\\d+)$`,
        "m",
      ).exec(text);
      return [Number(count?.[1] ?? 0), Number(timed?.[1] ?? 0)];
    };
    await ask(`/image/${imageId}/w320`);
    const before = await scrape();
    for (let i = 0; i < 5; i++) expect((await ask(`/image/${imageId}`)).status).toBe(302);
    for (let i = 0; i < 3; i++) expect((await ask(`/image/${imageId}/w320`)).status).toBe(302);
    const after = await scrape();
    const [count0, timed0] = series(before, "/image/:id");
    expect(series(after, "/image/:id")).toEqual([count0 + 5, timed0 + 5]);
    const [variantCount0, variantTimed0] = series(before, "/image/:id/:variant");
    expect(series(after, "/image/:id/:variant")).toEqual([variantCount0 + 3, variantTimed0 + 3]);
  });

  it("leaves everything that is not a known public redirect to the route", async () => {
    const path = `/image/${imageId}`;
    expect((await ask(path)).status).toBe(302);
    // Unknown variant, malformed and unknown ids, other methods: the route's answers, not a redirect.
    expect((await ask(`${path}/w9999`)).status).toBe(404);
    expect((await ask(`${path}/`)).status).toBe(404);
    expect((await ask(`/image/${"x".repeat(16)}`)).status).toBe(404);
    expect((await ask(`/image/${imageId}%20`)).status).toBe(404);
    const post = await fetch(`${app.baseUrl}${path}`, { method: "POST", redirect: "manual" });
    expect(post.status).toBe(404);
  });
});
