import type { FastifyInstance } from "fastify";
import { payloadTooLarge } from "../errors.js";

/**
 * Makes every route of `scope` (an encapsulated plugin) ignore the request body, whatever its Content-Type says.
 * For routes that take no body: older clients send `DELETE` with `Content-Type: application/json` and nothing
 * after it, or `{}` on a GET-like call, and the original server accepted both. Fastify's JSON parser would answer
 * 400 ("Body cannot be empty…") or 415 instead. The body is read and dropped (so the connection stays usable),
 * within the scope's body limit.
 */
export function ignoreRequestBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser("*", (request, payload, done) => {
    const limit = request.routeOptions.bodyLimit ?? scope.initialConfig.bodyLimit ?? Infinity;
    let received = 0;
    let finished = false;
    const finish = (error: Error | null) => {
      if (finished) return;
      finished = true;
      done(error, undefined);
    };
    payload.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        payload.removeAllListeners("data");
        payload.resume();
        finish(payloadTooLarge("Request body too large."));
      }
    });
    payload.on("end", () => finish(null));
    payload.on("error", (error: Error) => finish(error));
  });
}
