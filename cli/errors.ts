import { ImageHostError } from "../client/errors.js";

/**
 * Exit codes of `imagehost` (documented in README.md "Command-line client"). Scripts can rely on them.
 */
export const ExitCode = {
  OK: 0,
  /** Anything else: a bad file, input the server refused, a rate limit, an unexpected failure. */
  ERROR: 1,
  /** The command line itself is wrong: unknown command or flag, missing argument. */
  USAGE: 2,
  /** Not logged in, or the credential is invalid, revoked or expired. */
  AUTH: 3,
  /** The image or key does not exist (or is not yours). */
  NOT_FOUND: 4,
  /** The server (or storage) failed: HTTP 5xx, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR. */
  SERVER: 5,
  /** The server (or storage) could not be reached at all. */
  NETWORK: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line on stderr, exiting with `exitCode`. Never shown with a stack trace. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const usageError = (message: string) => new CliError(ExitCode.USAGE, message);

/** What the CLI knows about the credential in use, to say what to do about an authentication failure. */
export interface AuthHint {
  server: string;
  credentialSource: "IMAGEHOST_API_KEY" | "config" | null;
}

/** The exit code and one-line message for a client error. */
function fromImageHostError(error: ImageHostError, hint: AuthHint): CliError {
  const withRequestId = (message: string) => (error.requestId ? `${message} (request id ${error.requestId})` : message);
  switch (error.code) {
    case "NETWORK_ERROR":
      return new CliError(
        ExitCode.NETWORK,
        `${error.message} Is the server running? Set it with --server or IMAGEHOST_URL.`,
        { cause: error },
      );
    case "UNAUTHENTICATED":
      return new CliError(ExitCode.AUTH, authMessage(hint), { cause: error });
    case "NOT_FOUND":
      return new CliError(ExitCode.NOT_FOUND, error.message, { cause: error });
    case "SERVICE_UNAVAILABLE":
    case "INTERNAL_SERVER_ERROR":
      return new CliError(ExitCode.SERVER, withRequestId(`The server failed: ${error.message}`), { cause: error });
    case "HTTP_ERROR":
      return new CliError(
        error.status !== undefined && error.status >= 500 ? ExitCode.SERVER : ExitCode.ERROR,
        error.message,
        { cause: error },
      );
    case "RATE_LIMITED": {
      const retry = error.details.retryAfterSeconds;
      return new CliError(
        ExitCode.ERROR,
        typeof retry === "number" ? `${error.message} Try again in ${retry} s.` : error.message,
        { cause: error },
      );
    }
    case "FORBIDDEN":
    case "BAD_USER_INPUT":
    case "CONFLICT":
    case "PAYLOAD_TOO_LARGE":
      return new CliError(ExitCode.ERROR, error.message, { cause: error });
    default:
      return assertNever(error.code);
  }
}

function authMessage(hint: AuthHint): string {
  switch (hint.credentialSource) {
    case null:
      return `Not logged in to ${hint.server}: run \`imagehost login\` (or set IMAGEHOST_API_KEY).`;
    case "IMAGEHOST_API_KEY":
      return `The API key in IMAGEHOST_API_KEY is invalid, revoked or expired on ${hint.server}.`;
    case "config":
      return `Your credential for ${hint.server} is invalid, revoked or expired: run \`imagehost login\`.`;
    default:
      return assertNever(hint.credentialSource);
  }
}

/** Any thrown value as a CliError; unexpected ones keep their message (one line) and exit 1. */
export function toCliError(error: unknown, hint: AuthHint): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof ImageHostError) return fromImageHostError(error, hint);
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(ExitCode.ERROR, `Unexpected error: ${message.split("\n")[0]}`, { cause: error });
}

function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
