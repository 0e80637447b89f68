import { SERVER_ERROR_CODES, type ServerErrorCode } from "../client/errors.js";

/**
 * The one table of error codes. GraphQL errors carry `extensions.code` from `ErrorCode`; REST responses use the
 * HTTP status and REST code mapped here. Anything thrown that is not an `AppError` is unexpected and is masked as
 * INTERNAL_SERVER_ERROR before it reaches a client (SEC-8). The codes themselves are listed once, in
 * client/errors.ts, which the client's typed errors share.
 */
export const ErrorCode = Object.freeze(
  Object.fromEntries(SERVER_ERROR_CODES.map((code) => [code, code])) as { readonly [C in ServerErrorCode]: C },
);
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The codes of the REST dialect (REST-CONTRACT.md). `forbidden` is for what the caller may never do (admin-only
 * operations, closed registration); someone else's resource is still NOT_FOUND, so ids are not confirmed.
 */
export type RestErrorCode =
  | "validation"
  | "auth"
  | "conflict"
  | "not_found"
  | "forbidden"
  | "rate_limited"
  | "too_large"
  | "unavailable"
  | "internal";

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.BAD_USER_INPUT:
      return 400;
    case ErrorCode.NOT_FOUND:
      return 404;
    case ErrorCode.CONFLICT:
      return 409;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.PAYLOAD_TOO_LARGE:
      return 413;
    case ErrorCode.SERVICE_UNAVAILABLE:
      return 503;
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 500;
    default:
      return assertNever(code);
  }
}

export function restCodeOf(code: ErrorCode): RestErrorCode {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return "auth";
    case ErrorCode.FORBIDDEN:
      return "forbidden";
    case ErrorCode.BAD_USER_INPUT:
      return "validation";
    case ErrorCode.NOT_FOUND:
      return "not_found";
    case ErrorCode.CONFLICT:
      return "conflict";
    case ErrorCode.RATE_LIMITED:
      return "rate_limited";
    case ErrorCode.PAYLOAD_TOO_LARGE:
      return "too_large";
    case ErrorCode.SERVICE_UNAVAILABLE:
      return "unavailable";
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return "internal";
    default:
      return assertNever(code);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}

/** An error whose message is safe to show to the client. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra, client-safe details (e.g. `retryAfterSeconds`). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, details);
export const notFound = (message = "Not found.") => new AppError(ErrorCode.NOT_FOUND, message);
export const unauthenticated = (message = "Authentication required: send a valid API key.") =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);
/** Authenticated, but not allowed: admin-only operations, closed registration, a missing or bad invite. */
export const forbidden = (message: string) => new AppError(ErrorCode.FORBIDDEN, message);
export const conflict = (message: string) => new AppError(ErrorCode.CONFLICT, message);
export const payloadTooLarge = (message: string) => new AppError(ErrorCode.PAYLOAD_TOO_LARGE, message);

/**
 * A dependency (Redis, object storage) cannot be reached right now. Adapters throw this instead of their driver's
 * error so the edges can answer 503 without knowing which driver is behind the port. The message is generic on
 * purpose; `cause` keeps the driver error for the log.
 */
export class DependencyUnavailableError extends AppError {
  constructor(
    readonly dependency: "redis" | "storage",
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.SERVICE_UNAVAILABLE, "A backing service is temporarily unavailable; try again shortly.");
    this.name = "DependencyUnavailableError";
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** What a client may see of any thrown value: its code and a safe message. Unknown errors are masked (SEC-8). */
export function toClientError(error: unknown): { code: ErrorCode; message: string; details: Record<string, unknown> } {
  if (error instanceof AppError) return { code: error.code, message: error.message, details: { ...error.details } };
  return {
    code: ErrorCode.INTERNAL_SERVER_ERROR,
    message: "Internal server error. Quote the request id when reporting it.",
    details: {},
  };
}

/**
 * How loud each class of error is in the log, the same on every edge (GraphQL, REST, links, file routes): bugs at
 * `error`, a dependency outage at `warn` (expected while it lasts, and probes hit it every few seconds), client
 * errors not at all (they are the client's to read, in the reply).
 */
export function logLevelOf(error: unknown): "error" | "warn" | null {
  if (!(error instanceof AppError)) return "error";
  switch (error.code) {
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return "error";
    case ErrorCode.SERVICE_UNAVAILABLE:
      return "warn";
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.FORBIDDEN:
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.NOT_FOUND:
    case ErrorCode.CONFLICT:
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.PAYLOAD_TOO_LARGE:
      return null;
    default:
      return assertNever(error.code);
  }
}
