/**
 * How the S3 client's failures read: "not found", "cannot reach the store" (an outage: 503) and "the bucket is
 * missing or refuses us" (StorageMisconfiguredError). Everything else is a bug and is masked.
 */

const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
]);
const NETWORK_ERROR_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException", "NetworkingError"]);

/** The bucket is missing or refuses us: a configuration problem an operator must fix, not an outage. */
export class StorageMisconfiguredError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StorageMisconfiguredError";
  }
}

export function isNotFound(error: unknown): boolean {
  const name = nameOf(error);
  return statusOf(error) === 404 || name === "NotFound" || name === "NoSuchKey";
}

export function isUnavailable(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined && status >= 500) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return true;
  const name = nameOf(error);
  return name !== undefined && NETWORK_ERROR_NAMES.has(name);
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

export function nameOf(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : undefined;
}
