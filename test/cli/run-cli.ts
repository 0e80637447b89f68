import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** The real launcher, as `npx imagehost` runs it. */
export const CLI_BIN = fileURLToPath(new URL("../../cli/bin/imagehost.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node cli/bin/imagehost.js …` as a child process with only the given environment on top of PATH and HOME
 * (nothing of the caller's IMAGEHOST_* or BASE_URL leaks in), optionally feeding `input` on stdin.
 */
export function runCli(
  args: string[],
  options: { env: Record<string, string | undefined>; input?: string; cwd?: string; timeoutMs?: number },
): Promise<CliResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" };
  for (const [name, value] of Object.entries(options.env)) if (value !== undefined) env[name] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), answering each prompt when it appears: `answers` maps
 * prompt text to what is typed. Null when `script` is not installed.
 */
export async function runCliOnTerminal(
  args: string[],
  options: { env: Record<string, string | undefined>; answers: [prompt: string, typed: string][]; timeoutMs?: number },
): Promise<CliResult | null> {
  const hasScript = await new Promise<boolean>((resolve) => {
    const probe = spawn("script", ["--version"], { stdio: "ignore" });
    probe.once("error", () => resolve(false));
    probe.once("close", (code) => resolve(code === 0));
  });
  if (!hasScript) return null;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    TERM: "dumb",
  };
  for (const [name, value] of Object.entries(options.env)) if (value !== undefined) env[name] = value;
  const command = [process.execPath, CLI_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let next = 0;
    const onData = (d: string) => {
      output += d;
      const pending = options.answers[next];
      if (
        pending &&
        output.split(pending[0]).length - 1 > options.answers.slice(0, next).filter(([p]) => p === pending[0]).length
      ) {
        next++;
        child.stdin.write(`${pending[1]}\r`);
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, stdout: output, stderr: "" });
    });
  });
}

/** One line on stderr, no stack trace. */
export function expectOneLineError(result: CliResult, pattern: RegExp) {
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}
