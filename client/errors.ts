/**
 * The one error type of the client. `code` is the server's `extensions.code` for GraphQL errors, or says why no
 * GraphQL answer arrived: `NETWORK_ERROR` (nothing answered: refused, DNS, TLS, reset) or `HTTP_ERROR` (something
 * answered, but not with GraphQL: a proxy's 502, a storage error while sending bytes, an HTML page).
 */
export const SERVER_ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "PAYLOAD_TOO_LARGE",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_SERVER_ERROR",
] as const;
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];
export type ImageHostErrorCode = ServerErrorCode | "NETWORK_ERROR" | "HTTP_ERROR";

export interface ImageHostErrorOptions {
  /** HTTP status of the response, when one arrived. */
  status?: number;
  /** The server's request id (`extensions.requestId`): quote it when reporting a problem. */
  requestId?: string;
  /** Other client-safe `extensions` (e.g. `retryAfterSeconds`, `field`). */
  details?: Readonly<Record<string, unknown>>;
  cause?: unknown;
}

export class ImageHostError extends Error {
  override readonly name = "ImageHostError";
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    readonly code: ImageHostErrorCode,
    message: string,
    options: ImageHostErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.requestId = options.requestId;
    this.details = options.details ?? {};
  }
}

export function isImageHostError(value: unknown, code?: ImageHostErrorCode): value is ImageHostError {
  return value instanceof ImageHostError && (code === undefined || value.code === code);
}

export function isServerErrorCode(value: unknown): value is ServerErrorCode {
  return typeof value === "string" && (SERVER_ERROR_CODES as readonly string[]).includes(value);
}

/** A GraphQL error as it travels in a response body. */
interface WireGraphQLError {
  message?: unknown;
  extensions?: Record<string, unknown>;
}

/**
 * The typed error for a GraphQL response that carries `errors`: the first one decides. A code outside the known set
 * (a newer server) is reported as INTERNAL_SERVER_ERROR, with the original in `details.serverCode`.
 */
export function fromGraphQLErrors(errors: readonly WireGraphQLError[], status?: number): ImageHostError {
  const first = errors[0] ?? {};
  const { code, requestId, ...rest } = first.extensions ?? {};
  const message =
    typeof first.message === "string" && first.message !== "" ? first.message : "The server returned an error.";
  const known = isServerErrorCode(code);
  return new ImageHostError(known ? code : "INTERNAL_SERVER_ERROR", message, {
    status,
    requestId: typeof requestId === "string" ? requestId : undefined,
    details: known || code === undefined ? rest : { ...rest, serverCode: code },
  });
}

/** Maps whatever `fetch` threw (not an abort) to NETWORK_ERROR with a short reason. */
export function networkError(url: string, error: unknown): ImageHostError {
  const origin = originOf(url);
  return new ImageHostError("NETWORK_ERROR", `Cannot reach ${origin} (${describeNetworkFailure(error)}).`, {
    cause: error,
  });
}

/** HTTP_ERROR for a response that is not a GraphQL answer; `body` may hold a short reason. */
export function httpError(url: string, status: number, body: string): ImageHostError {
  const reason = reasonFromBody(body);
  const message = `${originOf(url)} answered HTTP ${status}${reason ? `: ${reason}` : "."}`;
  return new ImageHostError("HTTP_ERROR", message, { status });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Node's fetch says only "fetch failed"; the reason is in `cause.code` (ECONNREFUSED, ENOTFOUND…). */
function describeNetworkFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection reset";
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connection timed out";
    default:
      break;
  }
  if (code !== undefined) return code;
  if (typeof cause?.message === "string" && cause.message !== "") return cause.message;
  return error instanceof Error && error.message !== "" ? error.message : "network error";
}

/**
 * A one-line reason from an error body: our REST shape `{"error":{"message"}}`, S3's XML `<Message>` (or `<Code>`), or short
 * plain text. Never HTML.
 */
function reasonFromBody(body: string): string | undefined {
  const text = body.trim();
  if (text === "") return undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown }; message?: unknown };
    const message = parsed.error?.message ?? parsed.message;
    if (typeof message === "string") return oneLine(message);
  } catch {
    // not JSON
  }
  const xml = /<Message>([^<]*)<\/Message>/.exec(text);
  if (xml?.[1]) return oneLine(xml[1]);
  // Some S3 stores (Ceph RGW) answer with a <Code> and no <Message>.
  const code = /<Code>([^<]*)<\/Code>/.exec(text);
  if (code?.[1]) return oneLine(code[1]);
  if (/^</.test(text)) return undefined;
  return oneLine(text);
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
