import { ConfigError } from "./config.js";
import { RedisNotAvailableError } from "./redis/managed-redis.js";

/** The one table of exit codes for the server's commands (`npm start`, `npm run dev`, `npm run sweep`). */
export const ExitCode = {
  /** Done, or stopped by SIGTERM/SIGINT after a graceful shutdown. */
  OK: 0,
  /** Could not run: Redis or storage unusable at start, or an unexpected failure (the message says which). */
  FAILURE: 1,
  /** The environment does not validate (`server/config.ts`); every problem is printed at once. */
  CONFIG: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

function exitCodeOf(error: unknown): ExitCode {
  return error instanceof ConfigError ? ExitCode.CONFIG : ExitCode.FAILURE;
}

/**
 * Runs a command's `main`: a failure prints one line (or, for a config error, its list of problems) prefixed with
 * the command's name on stderr, never a stack trace, and exits with the code from the table.
 */
export function runCommand(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const known = error instanceof ConfigError || error instanceof RedisNotAvailableError;
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${name}: ${known ? message : `failed: ${message}`}`);
    process.exit(exitCodeOf(error));
  });
}
