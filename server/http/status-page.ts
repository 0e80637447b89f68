import type { FastifyReply, FastifyRequest } from "fastify";
import { httpStatusOf, toClientError } from "../errors.js";
import { sendError } from "./error-reply.js";

/**
 * What a status page says, as plain text (never HTML): both are escaped. Never put user input in them that the
 * user should not see echoed back (an id from the URL, a file name) — the page is for people, not for debugging.
 */
export interface StatusPageContent {
  /** Short, e.g. "Image not found". Also the document title. */
  readonly title: string;
  /** One or two sentences saying what happened and what the reader can do. */
  readonly message: string;
}

/**
 * The rule for choosing an HTML page over the JSON error body: the request names `text/html` (or XHTML) in its
 * `Accept` header, with a quality at least that of `application/json`. Browsers navigating send
 * `text/html,…,*\/*;q=0.8`; API clients send `application/json`, `*\/*` or nothing, and keep getting JSON. A
 * wildcard alone never selects HTML, so curl, `requests` and `fetch()` see exactly what they saw before.
 */
export function prefersHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (accept === undefined) return false;
  let html = 0;
  let json = 0;
  for (const part of accept.split(",")) {
    const [rawType = "", ...params] = part.split(";");
    const type = rawType.trim().toLowerCase();
    const q = qualityOf(params);
    if (type === "text/html" || type === "application/xhtml+xml") html = Math.max(html, q);
    else if (type === "application/json") json = Math.max(json, q);
  }
  return html > 0 && html >= json;
}

function qualityOf(params: readonly string[]): number {
  for (const param of params) {
    const [name = "", value = ""] = param.split("=");
    if (name.trim().toLowerCase() !== "q") continue;
    const q = Number(value.trim());
    return Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0;
  }
  return 1;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text into HTML text or a quoted attribute value. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * Inline on purpose: the page must render when the web app is not built, and the CSP allows inline styles
 * (not scripts). Light and dark follow the reader's setting; readable at phone width.
 */
const PAGE_STYLE = `
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;--accent:#4493f8}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1rem;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:32rem;width:100%;background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1.5rem 1.75rem}
.status{margin:0;color:var(--muted);font-size:.875rem;font-variant-numeric:tabular-nums;letter-spacing:.04em}
h1{margin:.25rem 0 .75rem;font-size:1.5rem;line-height:1.25}
p{margin:0 0 1rem;overflow-wrap:anywhere}
a{color:var(--accent)}
`.trim();

/** The whole page. The status code and reason are shown small above the title, for people who report it. */
export function renderStatusPage(status: number, content: StatusPageContent): string {
  const title = escapeHtml(content.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · ImageHost</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<p class="status">${escapeHtml(String(status))}</p>
<h1>${title}</h1>
<p>${escapeHtml(content.message)}</p>
<p><a href="/">Go to ImageHost</a></p>
</main>
</body>
</html>
`;
}

/**
 * Sends the page with `status`. Not cacheable and varying on Accept: the same URL answers JSON to API clients, and
 * a dead link may point somewhere again (or a processing image become ready) at any moment.
 */
export function sendStatusPage(reply: FastifyReply, status: number, content: StatusPageContent): FastifyReply {
  return reply
    .code(status)
    .header("Cache-Control", "no-store")
    .header("Vary", "Accept")
    .type("text/html; charset=utf-8")
    .send(renderStatusPage(status, content));
}

/**
 * For links people open in a browser (`/image/<id>`, share links): a browser gets the status page, with the
 * error's HTTP status unless `status` is given; every other client gets the usual JSON error body from
 * `sendError`. Both vary on Accept.
 */
export function sendErrorOrStatusPage(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  content: StatusPageContent,
  status?: number,
): FastifyReply {
  reply.header("Vary", "Accept");
  if (!prefersHtml(request)) return sendError(request, reply, error);
  const client = toClientError(error);
  const retryAfter = client.details.retryAfterSeconds;
  if (typeof retryAfter === "number") reply.header("Retry-After", String(Math.ceil(retryAfter)));
  return sendStatusPage(reply, status ?? httpStatusOf(client.code), content);
}
