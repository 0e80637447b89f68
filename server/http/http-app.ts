import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { fastifyCookie } from "@fastify/cookie";
import fastifyCors from "@fastify/cors";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { type DestinationStream, pino } from "pino";
import type { Services } from "../app.js";
import type { Config } from "../config.js";
import type { GraphQLWebSocketServer } from "../live/graphql-ws-server.js";
import { registerRestRoutes } from "../rest/rest-routes.js";
import { SERVED_KEY_PREFIX } from "../services/image-keys.js";
import { browserStorageOrigins } from "../storage/storage-origins.js";
import { AccessLog, AccessLogController, type LogDestination } from "./access-log.js";
import { sendError } from "./error-reply.js";
import { registerGraphQLEndpoint } from "./graphql-endpoint.js";
import { registerHealthRoutes } from "./health.routes.js";
import { registerImageLinkRoutes } from "./image-link.routes.js";
import { registerLocalBlobRoutes } from "./local-blob.routes.js";
import { registerMetricsRoutes } from "./metrics.js";
import { redirectHeaders, registerSecurityHeaders, securityHeaders } from "./security-headers.js";
import { hotLinkFront, type RequestFront } from "./hot-link.js";
import { registerShareLinkRoutes } from "./share-link.routes.js";
import { registerUploadRelayRoutes } from "./upload-relay.routes.js";
import { DEFAULT_WEB_DIST_DIR, registerWebApp } from "./web-app.routes.js";
import { registerWebSessionRoutes } from "./web-session.routes.js";

/** SEC-7: request bodies on /graphql and JSON routes. */
const JSON_BODY_LIMIT_BYTES = 100 * 1024;
/** SEC-18: how long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface App {
  readonly http: FastifyInstance;
  /** The subscription endpoint (WebSocket on /graphql). */
  readonly live: GraphQLWebSocketServer;
  /** Starts listening on the configured host and port; resolves to the bound address. */
  listen(): Promise<string>;
  /** Graceful stop (SEC-18): stop accepting, finish in-flight requests (bounded), close Redis. Idempotent. */
  close(): Promise<void>;
}

export interface AppOptions {
  /** The built web app served at `/` (default: web/dist of this checkout). */
  webDistDir?: string;
  /** Where the JSON log lines go (default: stdout). */
  logStream?: LogDestination;
}

/**
 * Log lines to stdout without a write system call each: pino's default is one synchronous write per line, which on
 * the redirect path (one access-log line per request) cost about a third of the throughput. Lines written while a
 * write is in flight go out together (the access log hands over its lines in batches, access-log.ts); what is
 * buffered is flushed when the process exits.
 */
function bufferedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

/** The Fastify instance, and a place for a handler that sees each request before it (hot-link.ts). */
export interface HttpServer {
  readonly http: FastifyInstance;
  readonly accessLog: AccessLog;
  putInFront(front: RequestFront): void;
}

type SchemaCompilersFactory = NonNullable<NonNullable<FastifyServerOptions["schemaController"]>["compilersFactory"]>;

function refusingCompiler(kind: "validator" | "serializer") {
  return () => (route: { method: string; url: string }) => {
    throw new Error(
      `${route.method} ${route.url}: a schema without its own ${kind} compiler (Fastify's are not loaded)`,
    );
  };
}

/** Compilers that refuse every schema (cast: Fastify types these factories as Ajv's and fast-json-stringify's). */
const NO_DEFAULT_SCHEMA_COMPILERS = {
  buildValidator: refusingCompiler("validator"),
  buildSerializer: refusingCompiler("serializer"),
} as unknown as SchemaCompilersFactory;

/** The Fastify instance with its server-wide settings; no routes yet (its logger is needed before the services). */
export function createHttpServer(config: Config, options: AppOptions): HttpServer {
  let front: RequestFront | null = null;
  const destination = options.logStream ?? bufferedStdout();
  // Made once Fastify has made the logger whose format it copies; used from the first request on.
  let accessLog: AccessLog | null = null;
  const http = Fastify({
    // Fastify's own server, with a front door: what Fastify would set up without a factory, plus the front.
    serverFactory: (fastify, settings) => {
      const server = createServer((request, response) =>
        front === null ? fastify(request, response) : front(request, response, fastify),
      );
      // Fastify has filled in its defaults by now.
      server.keepAliveTimeout = Number(settings.keepAliveTimeout);
      server.requestTimeout = Number(settings.requestTimeout);
      server.setTimeout(Number(settings.connectionTimeout));
      return server;
    },
    logger: { level: config.logLevel, stream: destination },
    logController: new AccessLogController(() => accessLog!),
    genReqId: () => randomUUID(),
    // SEC-3: X-Forwarded-For counts only for the configured number of proxy hops; otherwise the socket decides.
    trustProxy:
      config.http.trustProxyHops > 0 ? (_address: string, hop: number) => hop < config.http.trustProxyHops : false,
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    // SEC-12: an absurdly long id must still reach the route and get a plain 404, not a 414.
    routerOptions: { maxParamLength: 16 * 1024 },
    return503OnClosing: true,
    forceCloseConnections: "idle",
    // Every route that declares a schema brings its own zod validator (rest/rest-routes.ts) and none declares a
    // response schema, so Fastify's defaults (Ajv with its formats, fast-json-stringify) would only be loaded, about
    // 2.7 MB of heap in every server, never to be used. A route that would need one fails at startup instead.
    schemaController: { compilersFactory: NO_DEFAULT_SCHEMA_COMPILERS },
  });
  accessLog = new AccessLog(http.log, destination);
  return {
    http,
    accessLog,
    putInFront(handler) {
      front = handler;
    },
  };
}

/**
 * Puts every route, hook and the GraphQL endpoint on `http` over the services. The returned app owns the services:
 * its `close` closes them last. On failure the caller still owns them.
 */
export async function registerHttpApp(
  server: HttpServer,
  services: Services,
  config: Config,
  options: AppOptions,
): Promise<App> {
  const { http } = server;
  const { accounts, credentials, images, blobs } = services;
  http.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  // Every response names its request, so a client can quote it and an operator find its log lines.
  // Callback-style (as the hooks on every request are): no promise per request on the hot path.
  http.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  const ownOrigin = new URL(config.http.publicUrl).origin;
  // Cookies are parsed and written by @fastify/cookie (also its standalone parse, for WebSocket upgrades).
  await http.register(fastifyCookie);
  const headers = securityHeaders({ storageOrigins: await browserStorageOrigins(blobs, ownOrigin) });
  registerSecurityHeaders(http, headers);
  // Before the other routes: it adds the root-level origin guard for cookie-authenticated writes (SEC-5).
  registerWebSessionRoutes(http, services, {
    publicUrl: config.http.publicUrl,
    appOrigins: config.http.appOrigins,
  });
  registerMetricsRoutes(http, services.metrics, config.metricsToken);
  // CORS is off unless origins are listed: browsers on other origins then cannot read any response.
  if (config.http.corsOrigins.length > 0) {
    await http.register(fastifyCors, {
      origin: [...config.http.corsOrigins],
      methods: ["GET", "HEAD", "POST", "PUT", "DELETE"],
      allowedHeaders: ["content-type", "x-api-key", "authorization", "apollo-require-preflight"],
      maxAge: 600,
    });
  }
  registerHealthRoutes(http);
  registerImageLinkRoutes(http, images);
  registerShareLinkRoutes(http, services.shares);
  registerRestRoutes(http, {
    accounts,
    credentials,
    images,
    uploads: services.uploads,
    readiness: services.readiness,
  });
  const { local, relay } = services.storageRoutes;
  if (local !== null) registerLocalBlobRoutes(http, local, { servedPrefix: SERVED_KEY_PREFIX });
  if (relay !== null) registerUploadRelayRoutes(http, relay.store, relay.tokens);

  // The web app at `/`, client-side routes falling back to index.html; API paths keep their JSON 404s.
  const web = await registerWebApp(http, { distDir: options.webDistDir ?? DEFAULT_WEB_DIST_DIR });
  http.setNotFoundHandler((request, reply) => web.notFound(request, reply));
  const live = await registerGraphQLEndpoint(http, services, {
    graphql: config.graphql,
    live: config.live,
    ownOrigin,
    corsOrigins: config.http.corsOrigins,
    web,
  });

  // The public link's hot path: known redirects are answered ahead of Fastify (hot-link.ts).
  let shuttingDown = false;
  http.addHook("preClose", (done) => {
    shuttingDown = true;
    done();
  });
  server.putInFront(
    hotLinkFront({
      links: images.links,
      metrics: services.metrics,
      accessLog: server.accessLog,
      headers: redirectHeaders(headers),
      newRequestId: randomUUID,
      closing: () => shuttingDown,
      cors: config.http.corsOrigins.length > 0,
    }),
  );

  let closing: Promise<void> | undefined;
  return {
    http,
    live,
    async listen() {
      return http.listen({ host: config.http.host, port: config.http.port });
    },
    close() {
      closing ??= (async () => {
        const force = setTimeout(() => http.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        // Keep-alive connections go idle as their last request finishes; close each as soon as it does.
        const sweepIdle = setInterval(() => http.server.closeIdleConnections(), 50);
        try {
          // WebSockets first (1001, Going Away): the HTTP server would otherwise wait for them.
          await live.close();
          await http.close();
        } finally {
          server.accessLog.flush();
          clearTimeout(force);
          clearInterval(sweepIdle);
          await services.close();
        }
      })();
      return closing;
    },
  };
}
