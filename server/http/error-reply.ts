import type { FastifyReply, FastifyRequest } from "fastify";
import {
  AppError,
  DependencyUnavailableError,
  type RestErrorCode,
  badInput,
  httpStatusOf,
  logLevelOf,
  payloadTooLarge,
  restCodeOf,
  toClientError,
} from "../errors.js";

/**
 * The one writer of error replies for everything that is not GraphQL (REST, public links, local upload and file
 * routes, the web app's routes, Fastify's own request errors): `{"error": {"code", "message", "request_id"}}` with
 * the REST code and HTTP status from the error table, logged at the level the table gives the error's class.
 * Unexpected errors are logged in full with the request id and masked (SEC-8).
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, thrown: unknown): FastifyReply {
  const error = fromFastifyError(thrown);
  const level = logLevelOf(error);
  if (level !== null) {
    // The client sees a generic message; the operator needs the driver's own error, which the adapter kept as cause.
    const cause = error instanceof DependencyUnavailableError ? error.cause : undefined;
    request.log[level]({ err: error, cause, requestId: request.id }, "request failed");
  }
  const client = toClientError(error);
  const retryAfter = client.details.retryAfterSeconds;
  if (typeof retryAfter === "number") reply.header("Retry-After", String(Math.ceil(retryAfter)));
  return writeErrorBody(request, reply, httpStatusOf(client.code), restCodeOf(client.code), client.message);
}

/**
 * 403 in the same body shape, REST code `forbidden`: a request refused for where it comes from (SEC-5: a
 * state-changing request from another origin), not for who sends it. Not part of the GraphQL code table.
 */
export function sendForbidden(request: FastifyRequest, reply: FastifyReply, message: string): FastifyReply {
  return writeErrorBody(request, reply, 403, "forbidden", message);
}

/**
 * The error body itself, for the few HTTP-only statuses outside the table (403 above, 416 for byte ranges). Every
 * other error goes through `sendError`.
 */
export function writeErrorBody(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: RestErrorCode,
  message: string,
): FastifyReply {
  return reply
    .code(status)
    .type("application/json; charset=utf-8")
    .send({ error: { code, message, request_id: request.id } });
}

/**
 * Fastify's own request errors (body too large, bad JSON, wrong media type) mapped onto the error table. Their
 * messages describe only the request, so a 4xx keeps its message; anything else is left to be masked.
 */
function fromFastifyError(error: unknown): unknown {
  if (error instanceof AppError || !(error instanceof Error)) return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status !== "number" || status < 400 || status >= 500) return error;
  if (status === 413) return payloadTooLarge("Request body too large.");
  if (status === 415) return badInput("Unsupported content type: send application/json.");
  return badInput(error.message);
}
