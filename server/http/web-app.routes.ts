import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { notFound } from "../errors.js";
import { sendError } from "./error-reply.js";

/** Where `npm run build:web` (and `npm start`'s prestart) puts the web app. */
export const DEFAULT_WEB_DIST_DIR = fileURLToPath(new URL("../../web/dist", import.meta.url));

/** The one line `/` answers while the web app is not built. */
const WEB_APP_NOT_BUILT =
  "The ImageHost web app is not built: run `npm run build:web` (npm start builds it for you), then reload.";

/**
 * Paths of the API and of image bytes: they keep their JSON 404s and are never answered with the web app, whatever
 * the Accept header says. `/assets` too: a missing hashed asset must be a 404, not an HTML page.
 */
const RESERVED_PREFIXES = [
  "/graphql",
  "/api",
  "/image",
  "/files",
  "/uploads",
  "/health",
  "/ready",
  "/redis-check",
  "/metrics",
  "/web",
  "/assets",
];

/** The copies scripts/build-web.ts writes beside each file. */
const PRECOMPRESSED_COPY = /\.(br|gz)$/;

/** Hashed file names (Vite's `assets/name-[hash].ext`): they never change, so caches may keep them for a year. */
const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";

export interface WebAppOptions {
  /** The built web app: index.html, playground.html, assets/. */
  distDir: string;
}

export interface WebApp {
  /**
   * For the app's not-found handler: a browser navigation (GET/HEAD accepting HTML) to a client-side route gets
   * index.html; API paths and everything else get the JSON 404.
   */
  notFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
  /** The GraphiQL page (GET /graphql from a browser). */
  servePlayground(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
}

/**
 * Serves the built web app (web/dist) at `/`: hashed assets with a long cache, HTML with `no-cache` so a new
 * build is picked up at once, each precompressed (brotli or gzip, by Accept-Encoding). Files are looked up per request, so a server started before the build serves it
 * as soon as it exists; until then `/` answers one line saying how to build it.
 */
export async function registerWebApp(app: FastifyInstance, options: WebAppOptions): Promise<WebApp> {
  const distDir = path.resolve(options.distDir);
  const assetsDir = path.join(distDir, "assets") + path.sep;
  if (!(await isFile(path.join(distDir, "index.html"))))
    app.log.warn(`web app not built (${distDir} has no index.html): run npm run build:web`);

  await app.register(fastifyStatic, {
    root: distDir,
    prefix: "/",
    wildcard: true,
    suppressWarning: true,
    serveDotFiles: false,
    cacheControl: false,
    // The build's `.br` and `.gz` copies (scripts/build-web.ts), chosen by Accept-Encoding, with `Vary:
    // Accept-Encoding`; a client accepting neither gets the plain file.
    preCompressed: true,
    // The playground's page is served at /graphql only, and only while the explorer switch is on. The compressed
    // copies are only ever sent in place of their original, never asked for by name (that would pass by this check).
    allowedPath: (pathName, _root, request) =>
      !PRECOMPRESSED_COPY.test(pathName) && (pathName !== "/playground.html" || pathOf(request) === "/graphql"),
    setHeaders: (reply, filePath) => {
      reply.header("cache-control", filePath.startsWith(assetsDir) ? IMMUTABLE_CACHE : "no-cache");
    },
  });

  const sendPage = async (reply: FastifyReply, file: string): Promise<FastifyReply> => {
    if (!(await isFile(path.join(distDir, file)))) {
      return reply
        .code(503)
        .header("cache-control", "no-store")
        .type("text/plain; charset=utf-8")
        .send(`${WEB_APP_NOT_BUILT}\n`);
    }
    return reply.code(200).sendFile(file);
  };

  return {
    async notFound(request, reply) {
      const pathname = pathOf(request);
      const navigation =
        (request.method === "GET" || request.method === "HEAD") && acceptsHtml(request) && !isReserved(pathname);
      if (pathname === "/" || navigation) return sendPage(reply, "index.html");
      return sendError(request, reply, notFound("No such route."));
    },
    servePlayground(_request, reply) {
      return sendPage(reply, "playground.html");
    },
  };
}

/** A browser navigation or a page load: the Accept header names HTML. */
export function acceptsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? "");
}

function isReserved(pathname: string): boolean {
  return RESERVED_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}

function pathOf(request: FastifyRequest): string {
  const query = request.url.indexOf("?");
  return query === -1 ? request.url : request.url.slice(0, query);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
