/**
 * The `imagehost` command: `imagehost <command> [options]`. cli/bin/imagehost.js runs this through tsx.
 * Results go to stdout, messages and progress to stderr; failures are one line and an exit code (cli/errors.ts).
 */
import { readFileSync } from "node:fs";
import type { Command } from "./command.js";
import { account } from "./commands/account.js";
import { exportImages } from "./commands/export.js";
import { keys } from "./commands/keys.js";
import { login } from "./commands/login.js";
import { logout } from "./commands/logout.js";
import { ls } from "./commands/ls.js";
import { open } from "./commands/open.js";
import { register } from "./commands/register.js";
import { rm } from "./commands/rm.js";
import { upload } from "./commands/upload.js";
import { watch } from "./commands/watch.js";
import { visibility } from "./commands/visibility.js";
import { whoami } from "./commands/whoami.js";
import { Context, type Io } from "./context.js";
import { type AuthHint, ExitCode, toCliError, usageError } from "./errors.js";
import { resolveSettings } from "./settings.js";

const COMMANDS: Command[] = [
  register,
  login,
  logout,
  whoami,
  upload,
  ls,
  rm,
  visibility,
  watch,
  keys,
  account,
  open,
  exportImages,
];

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let hint: AuthHint = { server: "the server", credentialSource: null };
  try {
    const [verb, ...rest] = argv;
    if (verb === undefined) {
      io.stderr.write(topHelp());
      return ExitCode.USAGE;
    }
    if (verb === "--help" || verb === "-h" || verb === "help") {
      const topic = rest[0] === undefined ? undefined : COMMANDS.find((c) => c.name === rest[0]);
      if (rest[0] !== undefined && topic === undefined)
        throw usageError(`Unknown command "${rest[0]}". Run \`imagehost --help\`.`);
      io.stdout.write(topic ? topic.help() : topHelp());
      return ExitCode.OK;
    }
    if (verb === "--version" || verb === "-V") {
      io.stdout.write(`${version()}\n`);
      return ExitCode.OK;
    }
    const command = COMMANDS.find((c) => c.name === verb);
    if (command === undefined) {
      throw usageError(
        verb.startsWith("-")
          ? `Put the command first: imagehost <command> ${verb} …`
          : `Unknown command "${verb}". Run \`imagehost --help\`.`,
      );
    }
    const parsed = command.parse(rest);
    if (parsed.help) {
      io.stdout.write(command.help());
      return ExitCode.OK;
    }
    const settings = await resolveSettings({ server: parsed.server }, io.env);
    const context = new Context(io, settings, parsed.json);
    hint = context.authHint;
    await parsed.run(context);
    return ExitCode.OK;
  } catch (error) {
    const failure = toCliError(error, hint);
    io.stderr.write(`error: ${failure.message}\n`);
    if (io.env.IMAGEHOST_DEBUG && failure.cause instanceof Error) io.stderr.write(`${failure.cause.stack}\n`);
    return failure.exitCode;
  }
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "imagehost: the ImageHost command-line client",
    "",
    "Usage: imagehost <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Every command takes --server URL, --json and --help. The server is --server, else IMAGEHOST_URL, else BASE_URL,",
    "else the server of the last login, else http://127.0.0.1:3000. IMAGEHOST_API_KEY overrides the stored credential.",
    "",
    "Exit codes: 0 ok, 1 other error, 2 usage, 3 not logged in or credential refused, 4 not found, 5 server error,",
    "6 server unreachable.",
    "",
  ].join("\n");
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
  return `imagehost ${pkg.version ?? "unknown"}`;
}

function processIo(): Io {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
