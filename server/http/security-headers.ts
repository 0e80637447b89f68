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

/** The headers every response of the app's own origin carries (SEC-9), lower-case names. */
export function securityHeaders(options: ContentSecurityPolicyOptions): Readonly<Record<string, string>> {
  return {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "content-security-policy": contentSecurityPolicy(options),
  };
}

/**
 * Headers that govern a document the browser renders (what it may load, who may frame it, its opener), and so mean
 * nothing on a redirect: the browser renders no redirect, and judges framing and the opener on the final answer.
 */
const DOCUMENT_ONLY_HEADERS: ReadonlySet<string> = new Set([
  "content-security-policy",
  "x-frame-options",
  "cross-origin-opener-policy",
]);

/**
 * The headers a redirect carries (SEC-9): `securityHeaders` without the document-only ones. `Referrer-Policy`
 * stays, since it governs the request the redirect leads to. The public link is mostly redirects, and the three
 * left out were more than half of the bytes of each (400 of 734; docs/benchmarks.md).
 */
export function redirectHeaders(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !DOCUMENT_ONLY_HEADERS.has(name)));
}

/** A redirect: a 3xx that names where to go (a 304 names nowhere and stands for the full answer, so gets all). */
function isRedirect(statusCode: number, hasLocation: boolean): boolean {
  return statusCode >= 300 && statusCode < 400 && hasLocation;
}

/**
 * Sets `headers` (securityHeaders) on every response, and `redirectHeaders` on redirects. Routes that serve user
 * bytes set a stricter `Content-Security-Policy: sandbox` themselves, which this hook leaves alone.
 */
export function registerSecurityHeaders(app: FastifyInstance, headers: Readonly<Record<string, string>>): void {
  const { "content-security-policy": csp = "", ...always } = headers;
  const onRedirect = redirectHeaders(headers);
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (isRedirect(reply.statusCode, reply.hasHeader("location"))) {
      reply.headers(onRedirect);
      return done(null, payload);
    }
    reply.headers(always);
    if (!reply.hasHeader("content-security-policy")) reply.header("content-security-policy", csp);
    done(null, payload);
  });
}
