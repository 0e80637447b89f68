import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

/**
 * The access log: one line per answered request, with the request id (reqId) like every other line of that request.
 * Fastify's own controller writes two ("incoming request" and "request completed"), which on the redirect hot path
 * cost a third of the throughput (docs/benchmarks.md); a proxy in front may keep its own access log instead
 * (LOG_LEVEL=warn drops these lines).
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, "request errored");
    else reply.log.info(line, "request");
  }
}
