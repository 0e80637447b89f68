import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { badInput, notFound, payloadTooLarge } from "../errors.js";
import type { LocalBlobStore } from "../storage/local-blob-store.js";
import type { OpenedBlob } from "../storage/local-blob-format.js";
import { sendError, writeErrorBody } from "./error-reply.js";
import { formatBytes } from "../../client/units.js";

/**
 * The two halves of the local driver that live on this server: `PUT /uploads/<token>` receives the bytes a signed
 * upload URL allows, and `GET|HEAD /files/<key>` serves them. Served bytes get their exact stored type, `nosniff`
 * and a `sandbox` CSP, so user bytes never run as a page of this origin.
 *
 * Everything is registered in its own encapsulated plugin: the raw-body parser and the error handler below apply
 * to these routes only. Call before `app.ready()`/`listen()`.
 */
/**
 * `servedPrefix`: only keys under it are served (the app passes `img/`, where verified images live); uploads in
 * progress under other prefixes are never handed out from our origin.
 */
export function registerLocalBlobRoutes(
  app: FastifyInstance,
  store: LocalBlobStore,
  options: { servedPrefix: string },
): void {
  void app.register(async (scope) => {
    // Hand the body over as the raw stream: no buffering, and Fastify's bodyLimit does not apply (the token's
    // maxBytes does, while streaming).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    scope.setErrorHandler((error, request, reply) => {
      prepareErrorReply(request, reply);
      return sendError(request, reply, error);
    });

    // The token in the URL is a short-lived credential: keep it out of the info-level request log.
    scope.put("/uploads/*", { logLevel: "warn" }, (request, reply) => receiveUpload(store, request, reply));
    scope.route({
      method: ["GET", "HEAD"],
      url: "/files/*",
      handler: (request, reply) => serveFile(store, options.servedPrefix, request, reply),
    });
  });
}

async function receiveUpload(store: LocalBlobStore, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const claims = store.verifyUploadToken(wildcardOf(request));

  const sentType = request.headers["content-type"]?.trim().toLowerCase();
  if (sentType !== claims.contentType)
    throw badInput(`Send the header Content-Type: ${claims.contentType} (the type this upload URL was issued for).`);
  const encoding = request.headers["content-encoding"]?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== "" && encoding !== "identity")
    throw badInput("Send the file as is, without Content-Encoding.");

  // Refuse before reading a byte when the declared length already breaks the limits.
  const declared = request.headers["content-length"];
  if (declared !== undefined) {
    const length = Number(declared);
    if (length > claims.maxBytes) throw payloadTooLarge(`The upload exceeds ${formatBytes(claims.maxBytes)}.`);
    if (claims.exactBytes !== null && length !== claims.exactBytes)
      throw badInput(`The upload was declared as ${claims.exactBytes} bytes but Content-Length is ${length}.`);
  }

  const body = request.body as Readable | undefined;
  if (body === undefined || typeof body.pipe !== "function") throw badInput("The upload is empty.");
  await store.writeStream(claims.key, body, {
    contentType: claims.contentType,
    maxBytes: claims.maxBytes,
    exactBytes: claims.exactBytes,
  });
  await reply.code(204).send();
}

async function serveFile(
  store: LocalBlobStore,
  servedPrefix: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const key = wildcardOf(request);
  const blob = key.startsWith(servedPrefix) ? await store.openRead(key) : null;
  if (blob === null) throw notFound("No such file.");

  let handedOver = false;
  try {
    reply.header("etag", blob.etag);
    reply.header("cache-control", "public, max-age=31536000, immutable");
    reply.header("x-content-type-options", "nosniff");
    reply.header("content-security-policy", "sandbox");
    reply.header("accept-ranges", "bytes");

    if (matchesAny(request.headers["if-none-match"], blob.etag)) {
      await reply.code(304).send();
      return;
    }

    // Ranges only for GET, and only while the client's copy (If-Range) is still the current one.
    const ifRange = request.headers["if-range"];
    const range =
      request.method === "GET" &&
      (ifRange === undefined || (typeof ifRange === "string" && ifRange.trim() === blob.etag))
        ? parseRange(request.headers.range, blob.size)
        : null;

    if (range === "unsatisfiable") {
      // 416 is not in the error-code table; the body keeps the REST error shape.
      reply.header("content-range", `bytes */${blob.size}`);
      await writeErrorBody(request, reply, 416, "validation", "The requested range is not satisfiable.");
      return;
    }

    reply.header("content-type", blob.contentType);
    if (range !== null) {
      reply.code(206);
      reply.header("content-range", `bytes ${range.start}-${range.end}/${blob.size}`);
      reply.header("content-length", String(range.end - range.start + 1));
    } else {
      reply.header("content-length", String(blob.size));
    }

    if (request.method === "HEAD") {
      await reply.send();
      return;
    }
    const stream = blob.stream(range ?? undefined);
    handedOver = true;
    await reply.send(stream);
  } finally {
    if (!handedOver) await closeQuietly(blob);
  }
}

/**
 * One `bytes=` range resolved against `size`: null = serve the whole file (no header, or one we ignore as
 * RFC 9110 allows: malformed or several ranges), "unsatisfiable" = 416.
 */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}

/** Weak comparison, as If-None-Match asks for. */
function matchesAny(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag.replace(/^W\//, "") === etag;
  });
}

function wildcardOf(request: FastifyRequest): string {
  return (request.params as { "*"?: string })["*"] ?? "";
}

async function closeQuietly(blob: OpenedBlob): Promise<void> {
  await blob.close().catch(() => undefined);
}

/** Before the shared error reply: what a half-sent file response or an unread upload body must not keep. */
function prepareErrorReply(request: FastifyRequest, reply: FastifyReply): void {
  // The client may still be sending a body we will not read: close the connection after answering.
  if (!request.raw.complete) reply.header("connection", "close");
  for (const header of ["content-length", "content-range", "etag", "cache-control", "accept-ranges"])
    reply.removeHeader(header);
}
