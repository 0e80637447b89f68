import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSX_CLI = path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;

/**
 * Everything the harness started, undone in reverse order exactly once: on success, on failure and on
 * SIGINT/SIGTERM alike. Each step runs even if an earlier one failed.
 */
export class Cleanup {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  private done: Promise<void> | null = null;

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  runAll(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
        } catch (error) {
          console.error(
            `bench: cleanup of ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    })();
    return this.done;
  }
}

export interface ChildServer {
  readonly name: string;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** The tsx wrapper we spawned; it runs the script in a child node process of its own. */
  readonly wrapperPid: number;
  /** The node process running the script itself (the one whose memory we report). */
  readonly pid: number;
  /** Resident set size of the server process now, bytes; null once it is gone. */
  rss(): number | null;
  /** The last lines it wrote, for error messages. */
  output(): string;
  /** SIGTERM (graceful: the server finishes and exits 0, writing a CPU profile if asked), SIGKILL after a grace. */
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Script path relative to the repo root: a built `.js` runs under plain node, a `.ts` through tsx. */
  script: string;
  port: number;
  env: Record<string, string>;
  /** Node flags for the script's own process, e.g. --cpu-prof. */
  nodeFlags?: readonly string[];
  /** Polled until it answers 200. */
  readyPath: string;
}

/**
 * Starts `node node_modules/tsx/dist/cli.mjs <flags> <script>` in its own process group, with only the given
 * environment (plus PATH/HOME/TMPDIR): nothing from the caller's shell, such as S3 or Redis settings, leaks in.
 */
export async function startChild(options: StartOptions, cleanup: Cleanup): Promise<ChildServer> {
  const inherited = Object.fromEntries(
    ["PATH", "HOME", "TMPDIR", "LANG"].flatMap((name) =>
      process.env[name] === undefined ? [] : [[name, process.env[name]!]],
    ),
  );
  const plainNode = options.script.endsWith(".js");
  const args = plainNode
    ? [...(options.nodeFlags ?? []), options.script]
    : [TSX_CLI, ...(options.nodeFlags ?? []), options.script];
  // Its output goes to a file, as a deployed server's goes to the journal: reading every access-log line through a
  // pipe would cost the bench process (the load generator) CPU that no deployment spends there.
  const logDir = mkdtempSync(path.join(os.tmpdir(), "ih-bench-log-"));
  const logFile = path.join(logDir, "output.log");
  const logFd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...inherited, ...options.env },
      detached: true,
      stdio: ["ignore", logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const output = () => lastLines(logFile, 60);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = once(async () => {
    await stopChild(child, exited);
    rmSync(logDir, { recursive: true, force: true });
  });
  cleanup.add(options.name, stop);
  if (child.pid === undefined) throw new Error(`${options.name}: could not spawn node`);

  const url = `http://127.0.0.1:${options.port}`;
  await waitUntilAnswering(`${url}${options.readyPath}`, child, output, options.name);
  const pid = plainNode ? child.pid : await scriptProcess(child.pid, options.script);
  if (pid === null)
    throw new Error(`${options.name}: found no process running ${options.script} under pid ${child.pid}`);
  return {
    name: options.name,
    url,
    wrapperPid: child.pid,
    pid,
    rss: () => rssOf(pid),
    output,
    stop,
  };
}

async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string, name: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${name} did not answer ${url} within ${START_TIMEOUT_MS / 1000} s:\n${output()}`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    // The tsx wrapper relays the signal to the script's process and exits with it.
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(STOP_GRACE_MS)]);
  }
  // Whatever is left of its process group (a script that ignored SIGTERM, a grandchild) goes now.
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group is empty: everything exited
  }
  if (child.exitCode === null && child.signalCode === null) await Promise.race([exited, sleep(2000)]);
}

/** The descendant of `rootPid` whose command line runs `script`, found through /proc. */
async function scriptProcess(rootPid: number, script: string): Promise<number | null> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    for (const pid of descendants(rootPid)) {
      if (
        readProc(pid, "cmdline")
          ?.split("\0")
          .some((arg) => arg.endsWith(script))
      )
        return pid;
    }
    // The wrapper spawns it right away; this only waits out a race at start.
    await sleep(20);
  }
  return null;
}

function descendants(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(Number(entry), "stat");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) : Number.NaN;
    if (!Number.isNaN(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The last `count` lines of a file (a child's output, which may be large), for error messages. */
function lastLines(file: string, count: number): string {
  const TAIL_BYTES = 64 * 1024;
  let fd: number | null = null;
  try {
    fd = openSync(file, "r");
    const { size } = fstatSync(fd);
    const tail = Buffer.alloc(Math.min(size, TAIL_BYTES));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail.toString("utf8").split("\n").filter(Boolean).slice(-count).join("\n");
  } catch {
    return "";
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** VmRSS from /proc/<pid>/status, bytes; null when the process is gone. */
function rssOf(pid: number): number | null {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readProc(pid, "status") ?? "");
  return match ? Number(match[1]) * 1024 : null;
}

function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return null;
  }
}

/**
 * Calls `onGone` once, when our parent or grandparent exits (checked every second). `npm run bench` runs us as
 * npm → sh → tsx → node; a signal sent to npm alone ends the shell and would otherwise leave us running.
 */
export function watchLaunchers(onGone: () => void): void {
  const parent = process.ppid;
  const watched = [parent, parentOf(parent)]
    .filter((pid): pid is number => pid !== null && pid > 1)
    .map((pid) => ({ pid, started: startTimeOf(pid) }));
  const timer = setInterval(() => {
    if (watched.some(({ pid, started }) => startTimeOf(pid) !== started)) {
      clearInterval(timer);
      onGone();
    }
  }, 1000);
  timer.unref();
}

function parentOf(pid: number): number | null {
  const stat = readProc(pid, "stat");
  return stat === null ? null : Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** Field 22 of /proc/<pid>/stat: distinguishes a process from a later one that reuses its pid; null when gone. */
function startTimeOf(pid: number): string | null {
  const stat = readProc(pid, "stat");
  return stat === null ? null : (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null);
}

/** CPU time (user + system, all threads) the process has used, seconds; null when it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  const stat = readProc(pid, "stat");
  if (stat === null) return null;
  // utime and stime are fields 14 and 15; counting from the state field (3) after the ')' that ends the name.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function once(run: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | null = null;
  return () => (result ??= run());
}
