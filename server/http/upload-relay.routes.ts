import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { badInput, payloadTooLarge } from "../errors.js";
import type { S3BlobStore } from "../storage/s3-blob-store.js";
import type { RelayTokens } from "../storage/upload-relay-token.js";
import { sendError } from "./error-reply.js";

/**
 * `PUT /uploads/s3/<token>`: the S3 driver's upload URL for clients that declare no size (older REST clients do
 * a plain PUT with the file as the body). A presigned PUT without a signed length would let S3 take any body, so
 * these go through this server instead: the Content-Length is checked against the token's limit before a byte is
 * read, and exactly that many bytes are streamed on to the bucket (nothing is buffered or written to disk).
 *
 * Registered in its own encapsulated plugin, so the raw-body parser and error handler apply to this route only.
 */
export function registerUploadRelayRoutes(app: FastifyInstance, store: S3BlobStore, tokens: RelayTokens): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    scope.setErrorHandler((error, request, reply) => {
      // The client may still be sending a body we will not read: close the connection after answering.
      if (!request.raw.complete) reply.header("connection", "close");
      return sendError(request, reply, error);
    });
    // The token in the URL is a short-lived credential: keep it out of the info-level request log.
    scope.put("/uploads/s3/*", { logLevel: "warn" }, (request, reply) => relay(store, tokens, request, reply));
  });
}

async function relay(store: S3BlobStore, tokens: RelayTokens, request: FastifyRequest, reply: FastifyReply) {
  const claims = tokens.verify((request.params as { "*"?: string })["*"] ?? "");
  const sentType = request.headers["content-type"]?.trim().toLowerCase();
  if (sentType !== claims.contentType)
    throw badInput(`Send the header Content-Type: ${claims.contentType} (the type this upload URL was issued for).`);
  const encoding = request.headers["content-encoding"]?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== "" && encoding !== "identity")
    throw badInput("Send the file as is, without Content-Encoding.");
  // S3 needs the length up front; Node's parser then delivers exactly that many bytes, never more.
  const declared = request.headers["content-length"];
  if (declared === undefined || !/^\d{1,16}$/.test(declared))
    throw badInput("Send the file with a Content-Length header (chunked uploads are not accepted here).");
  const length = Number(declared);
  if (length > claims.maxBytes) throw payloadTooLarge(`The upload exceeds ${claims.maxBytes} bytes.`);
  if (length === 0) throw badInput("The upload is empty.");
  const body = request.body as Readable | undefined;
  if (body === undefined || typeof body.pipe !== "function") throw badInput("The upload is empty.");
  await store.writeRelayed(claims.key, body, claims.contentType, length);
  await reply.code(200).send();
}
