import type { FastifyInstance } from "fastify";

/**
 * Headers for every response of the app's own origin (S9). Routes that serve user bytes set a stricter
 * `Content-Security-Policy: sandbox` themselves, which this hook leaves alone.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook("onSend", async (_request, reply) => {
    reply.header("X-Content-Type-Options", "nosniff");
    reply.header("Referrer-Policy", "no-referrer");
    reply.header("X-Frame-Options", "DENY");
    reply.header("Cross-Origin-Opener-Policy", "same-origin");
    if (!reply.hasHeader("Content-Security-Policy")) {
      reply.header(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob: https: http:; style-src 'self' 'unsafe-inline'; " +
          "script-src 'self'; worker-src 'self' blob:; connect-src 'self' https: http:; frame-ancestors 'none'; " +
          "base-uri 'none'; form-action 'self'; object-src 'none'",
      );
    }
  });
}
