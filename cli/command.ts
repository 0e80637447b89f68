import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Context } from "./context.js";
import { usageError } from "./errors.js";

/** Flags every command takes. */
const GLOBAL_OPTIONS = {
  server: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

const GLOBAL_OPTION_HELP: [string, string][] = [
  ["--server URL", "server to talk to (default: IMAGEHOST_URL, BASE_URL, last login, http://127.0.0.1:3000)"],
  ["--json", "print results as JSON on stdout"],
  ["-h, --help", "show this help"],
];

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O & typeof GLOBAL_OPTIONS; allowPositionals: true; strict: true }>
>;

export interface CommandSpec<O extends OptionsConfig> {
  name: string;
  /** One line, for `imagehost --help`. */
  summary: string;
  /** Usage lines, without the leading `imagehost `. */
  usage: string[];
  description?: string;
  options: O;
  /** `[flag, text]` rows for `--help`; the global options are added after them. */
  optionHelp?: [string, string][];
  examples: string[];
  /** Results with `context.print`/`printJson`; failures thrown (CliError, or ImageHostError mapped by main). */
  run(context: Context, args: { values: Parsed<O>["values"]; positionals: string[] }): Promise<void>;
}

export interface Command {
  name: string;
  summary: string;
  help(): string;
  /** Parses `argv` (after the verb); usage errors are CliErrors with exit code 2. */
  parse(argv: string[]): {
    help: boolean;
    server: string | undefined;
    json: boolean;
    run(context: Context): Promise<void>;
  };
}

export function defineCommand<const O extends OptionsConfig>(spec: CommandSpec<O>): Command {
  const help = () => renderHelp(spec);
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    parse(argv) {
      let parsed: Parsed<O>;
      try {
        parsed = parseArgs({
          args: argv,
          options: { ...spec.options, ...GLOBAL_OPTIONS } as O & typeof GLOBAL_OPTIONS,
          allowPositionals: true,
          strict: true,
        });
      } catch (error) {
        throw usageError(`${describeParseError(error)} Run \`imagehost ${spec.name} --help\`.`);
      }
      const values = parsed.values as Parsed<O>["values"] & { server?: string; json?: boolean; help?: boolean };
      return {
        help: values.help === true,
        server: values.server,
        json: values.json === true,
        run: (context) => spec.run(context, { values: parsed.values, positionals: parsed.positionals }),
      };
    },
  };
}

/** parseArgs's messages, shortened to the point (its unknown-option one goes on about positionals). */
function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(message ?? "")?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted) return `Unknown option ${quoted}.`;
  const first = (message ?? "Invalid arguments").split("\n")[0]!;
  const sentence = (/^.*?\.(\s|$)/.exec(first)?.[0] ?? first).trim();
  return sentence.endsWith(".") ? sentence : `${sentence}.`;
}

function renderHelp<O extends OptionsConfig>(spec: CommandSpec<O>): string {
  const lines = [`${spec.summary}`, "", "Usage:", ...spec.usage.map((u) => `  imagehost ${u}`)];
  if (spec.description) lines.push("", ...spec.description.split("\n"));
  const options = [...(spec.optionHelp ?? []), ...GLOBAL_OPTION_HELP];
  const width = Math.max(...options.map(([flag]) => flag.length));
  lines.push("", "Options:", ...options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`));
  if (spec.examples.length > 0) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines.join("\n") + "\n";
}

/** A positive integer flag within bounds, or a usage error naming the flag. */
export function intFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`--${name} must be a whole number from ${min} to ${max}, not "${value}".`);
  }
  return n;
}

/** Exactly `count` positional arguments, named in the message. */
export function expectPositionals(command: string, positionals: string[], names: string[]): string[] {
  if (positionals.length !== names.length) {
    const what = names.length === 0 ? "no arguments" : names.map((n) => `<${n}>`).join(" ");
    throw usageError(`\`imagehost ${command}\` takes ${what}. Run \`imagehost ${command} --help\`.`);
  }
  return positionals;
}
