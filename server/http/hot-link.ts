import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { PublicLinks } from "../services/public-links.js";
import type { AccessLog } from "./access-log.js";
import { endOfTurnQueue } from "./end-of-turn.js";
import { LINK_CACHE_CONTROL } from "./image-link.routes.js";
import type { Metrics } from "./metrics.js";

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Sees each request before Fastify: answers it, or hands it to `fastify` (at once or later, untouched). */
export type RequestFront = (request: IncomingMessage, response: ServerResponse, fastify: RequestHandler) => void;

export interface HotLinkOptions {
  readonly links: Pick<PublicLinks, "known">;
  readonly metrics: Metrics;
  /** The app's access log (one line per request, naming its request id). */
  readonly accessLog: AccessLog;
  /** The headers a redirect of the app carries (SEC-9, `redirectHeaders`), as the Fastify hook sets them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly newRequestId: () => string;
  /** True once the server is shutting down: Fastify then answers 503, so the front steps aside. */
  readonly closing: () => boolean;
  /**
   * CORS_ORIGINS is set: @fastify/cors then adds `Vary: Origin` to every answer, and answers a request that names
   * an Origin with its own headers; such requests go to Fastify (an `<img>` sends none).
   */
  readonly cors: boolean;
}

type Route = "/image/:id" | "/image/:id/:variant" | "/api/v1/image/:id";

/**
 * The public link's hot path (issue 16): `GET|HEAD /image/<id>` (its thumbnails, and the REST alias) answered
 * straight from `node:http` when this process already knows the redirect (`PublicLinks.known`: a link-cache hit on
 * a public, ready image). Fastify's routing, hooks, reply object and per-request child logger cost more than the
 * redirect itself; this answers (at the end of the event loop's turn: end-of-turn.ts) with exactly what the
 * Fastify route would send (the same headers, one access-log line with a request id, the same metrics), which
 * test/integration/hot-link.test.ts compares. Everything else — misses, grants (a query string), private,
 * processing, unknown and malformed ids, and with CORS on any request naming an Origin — goes to Fastify's route,
 * which loads the record (filling the cache) and answers.
 */
export function hotLinkFront(options: HotLinkOptions): RequestFront {
  const { links, metrics, accessLog, headers, newRequestId, closing, cors } = options;
  const fixedHeaders = Object.entries({
    ...headers,
    "cache-control": LINK_CACHE_CONTROL,
    "content-length": "0",
    ...(cors ? { vary: "Origin" } : {}),
  }).flat();
  const answerAtEndOfTurn = endOfTurnQueue();
  return (request, response, fastify) => {
    const { method = "", url = "" } = request;
    const ours = (method === "GET" || method === "HEAD") && !closing() && !(cors && request.headers.origin);
    const target = ours ? parse(url) : null;
    const known = target && links.known(target.id, target.variant);
    if (!target || !known) return fastify(request, response);
    const start = performance.now();
    const redirect = (location: string) => {
      const requestId = newRequestId();
      response.writeHead(302, ["x-request-id", requestId, ...fixedHeaders, "location", location]);
      response.end();
      const ms = performance.now() - start;
      metrics.http.seriesOf(method, target.route, "302").record(ms / 1000);
      accessLog.line(requestId, method, url, 302, ms);
    };
    if (typeof known === "string") return answerAtEndOfTurn(() => redirect(known));
    // Signing failed (storage unreachable…): the full path answers it, with its error reply and counters.
    known.then(redirect, () => fastify(request, response));
  };
}

/** The three shapes of the public link; anything else (a query string, encoded or extra segments) is not ours. */
function parse(url: string): { route: Route; id: string; variant: string | null } | null {
  if (url.startsWith("/image/")) {
    const rest = url.slice("/image/".length);
    const slash = rest.indexOf("/");
    if (slash === -1) return { route: "/image/:id", id: rest, variant: null };
    return { route: "/image/:id/:variant", id: rest.slice(0, slash), variant: rest.slice(slash + 1) };
  }
  if (url.startsWith("/api/v1/image/")) return { route: "/api/v1/image/:id", id: url.slice(14), variant: null };
  return null;
}
