import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError, ErrorCode, httpStatusOf, restCodeOf, toClientError } from "../errors.js";

/**
 * The one error body for non-GraphQL routes: `{"error": {"code", "message"}}` with the REST code and HTTP status
 * from the error table. Unexpected errors are logged with the request id and masked (SEC-8).
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const client = toClientError(error);
  if (!(error instanceof AppError) || client.code === ErrorCode.INTERNAL_SERVER_ERROR) {
    request.log.error({ err: error, requestId: request.id }, "request failed");
  } else if (client.code === ErrorCode.SERVICE_UNAVAILABLE) {
    // Expected while a dependency is down, and probes hit it every few seconds: keep it below error level.
    request.log.warn({ err: error, requestId: request.id }, "dependency unavailable");
  }
  const retryAfter = client.details.retryAfterSeconds;
  if (typeof retryAfter === "number") reply.header("Retry-After", String(Math.ceil(retryAfter)));
  return reply
    .code(httpStatusOf(client.code))
    .type("application/json; charset=utf-8")
    .send({ error: { code: restCodeOf(client.code), message: client.message, request_id: request.id } });
}

/**
 * 403 in the same body shape, REST code `forbidden`: a request refused for where it comes from (SEC-5: a
 * state-changing request from another origin), not for who sends it. Not part of the GraphQL code table.
 */
export function sendForbidden(request: FastifyRequest, reply: FastifyReply, message: string): FastifyReply {
  return reply
    .code(403)
    .type("application/json; charset=utf-8")
    .send({ error: { code: "forbidden", message, request_id: request.id } });
}
