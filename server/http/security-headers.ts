import type { FastifyInstance } from "fastify";

export interface ContentSecurityPolicyOptions {
  /**
   * Origins other than our own that the browser must reach for image bytes: where the public links redirect to
   * (a presigned S3 GET or S3_PUBLIC_URL) and where uploads go (a presigned S3 PUT or POST). Empty for the local
   * driver, whose files and upload URLs are on this origin.
   */
  storageOrigins: readonly string[];
}

/**
 * The app's CSP (SEC-9), strict but enough for the web app and the GraphiQL playground: scripts only from our own
 * bundles (no inline script, no eval; `'wasm-unsafe-eval'` lets them compile WebAssembly, which the client's
 * HEIC-to-JPEG conversion runs, and nothing else), styles from our bundles plus inline styles (React `style`
 * attributes and the editor GraphiQL embeds set them), web workers from our bundles or blob: (GraphiQL's editor
 * workers),
 * images from our origin, data:/blob: (local previews) and the storage origins, requests to our origin and the
 * storage origins (direct uploads). No third-party origin beyond storage; never framed.
 */
function contentSecurityPolicy(options: ContentSecurityPolicyOptions): string {
  const storage = options.storageOrigins.length > 0 ? ` ${options.storageOrigins.join(" ")}` : "";
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${storage}`,
    "font-src 'self' data:",
    `connect-src 'self'${storage}`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join("; ");
}

/**
 * Headers for every response of the app's own origin (SEC-9). Routes that serve user bytes set a stricter
 * `Content-Security-Policy: sandbox` themselves, which this hook leaves alone.
 */
export function registerSecurityHeaders(
  app: FastifyInstance,
  options: ContentSecurityPolicyOptions = { storageOrigins: [] },
): void {
  const csp = contentSecurityPolicy(options);
  app.addHook("onSend", (_request, reply, payload, done) => {
    reply.header("X-Content-Type-Options", "nosniff");
    reply.header("Referrer-Policy", "no-referrer");
    reply.header("X-Frame-Options", "DENY");
    reply.header("Cross-Origin-Opener-Policy", "same-origin");
    if (!reply.hasHeader("Content-Security-Policy")) reply.header("Content-Security-Policy", csp);
    done(null, payload);
  });
}
