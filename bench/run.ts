import fs from "node:fs/promises";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { GROUPS, type Settings, USAGE, UsageError, parseSettings } from "./options.js";
import { Cleanup, REPO_ROOT, watchLaunchers } from "./processes.js";
import type { Row } from "./measure.js";
import { LIMITS, formatTable, judge, judgeLimits, judgeRss } from "./report.js";
import { COMPARISONS, runGroup } from "./scenarios.js";
import { judgePipeline } from "./pipeline-scenarios.js";
import { setUp } from "./setup.js";

/**
 * `npm run bench`: starts its own Redis, s3rver, the ImageHost server (as child processes, NODE_ENV=production,
 * once per storage driver) and a bare baseline server, seeds data, runs every scenario against its baseline in
 * the same run and prints one Markdown table. See docs/benchmarks.md.
 *
 * Exit codes: 0 = every scenario ran (targets are reported, not enforced, unless --strict); 1 = a scenario or
 * the setup failed; 2 = --strict and a target was missed; 64 = bad options; 130/143 = interrupted.
 */

const cleanup = new Cleanup();
const launchedAt = performance.now();
const log = (message: string) =>
  console.error(`bench [${((performance.now() - launchedAt) / 1000).toFixed(1).padStart(5)} s] ${message}`);

let interrupted = false;
const interrupt = (why: string, exitCode: number) => {
  if (interrupted) return log(`${why} again: still cleaning up`);
  interrupted = true;
  log(`${why}: stopping every process and removing temp dirs`);
  void cleanup.runAll().finally(() => process.exit(exitCode));
};
process.on("SIGINT", () => interrupt("SIGINT", 130));
process.on("SIGTERM", () => interrupt("SIGTERM", 143));
process.on("SIGHUP", () => interrupt("SIGHUP", 129));
// `npm run` starts us through `sh -c`; a SIGINT sent to npm alone kills that shell and would leave us running.
watchLaunchers(() => interrupt("the process that launched the benchmark is gone", 130));
process.on("unhandledRejection", (reason) => {
  log(`unexpected failure: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  void cleanup.runAll().finally(() => process.exit(1));
});

async function main(): Promise<number> {
  let settings: Settings | "help";
  try {
    settings = parseSettings(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}\n\n${USAGE}`);
    return 64;
  }
  if (settings === "help") {
    console.log(USAGE);
    return 0;
  }

  const context = await setUp(settings, cleanup, log);
  const rows: Row[] = [];
  const failures: string[] = [];
  for (const group of GROUPS) {
    if (!settings.groups.has(group) || interrupted) continue;
    try {
      rows.push(...(await runGroup(group, context)));
    } catch (error) {
      if (interrupted) break;
      const message = describe(error);
      failures.push(`${group}: ${message}`);
      log(`FAILED ${group}: ${message}`);
    }
  }

  if (interrupted) return 130;
  const verdicts = judge(rows, COMPARISONS);
  const rss = [
    judgeRss(
      rows.find((r) => r.key === "redirect-local"),
      "local driver",
    ),
    judgeRss(
      rows.find((r) => r.key === "redirect-s3"),
      "s3 driver",
    ),
    ...judgeLimits(rows, LIMITS),
    ...judgePipeline(rows),
  ].filter((r) => r !== null);
  const header = [
    `ImageHost benchmark${settings.smoke ? " (SMOKE: tiny durations and seeds; timings are not judged)" : ""}`,
    `${new Date().toISOString()} · node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "cpu"} · ` +
      `${settings.duration} s measured per scenario (${settings.rounds} interleaved rounds) after ${settings.warmup} s warm-up · ${settings.connections} connections ` +
      `(${settings.latencyConnections} for the first-page pair) · ${settings.workers} workers for uploads and logins · ` +
      `bcrypt cost ${settings.bcryptCost}`,
  ];
  // Smoke runs last a fraction of a second: their ratios are printed, never judged.
  const shown = settings.smoke
    ? verdicts.map((v) => ({ ...v, result: v.result === "" ? v.result : ("(smoke)" as const) }))
    : verdicts;
  const shownRss = settings.smoke
    ? rss.map((r) => ({ ...r, text: r.text.replace(/\| (PASS|MISS) \|$/, "| (smoke) |") }))
    : rss;
  console.log(`\n${header.join("\n")}\n\n${formatTable(shown, shownRss)}\n`);
  const missed = [
    ...verdicts.filter((v) => v.result === "MISS").map((v) => v.row.name),
    ...rss.filter((r) => r.result === "MISS").map((r) => r.name),
  ];
  if (settings.smoke) console.log("smoke: every ratio above comes from sub-second runs; none is judged.");
  else console.log(missed.length === 0 ? "All targets met." : `Targets missed: ${missed.join("; ")}`);
  if (failures.length > 0)
    console.log(`\nScenarios that failed to run:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
  log("done");

  if (settings.jsonPath !== null) {
    await fs.writeFile(
      settings.jsonPath,
      `${JSON.stringify({ settings: { ...settings, groups: [...settings.groups] }, rows: verdicts, failures }, null, 2)}\n`,
    );
  }
  if (failures.length > 0) return 1;
  if (settings.strict && !settings.smoke && missed.length > 0) return 2;
  return 0;
}

/** The message, with its cause's (fetch says only "fetch failed"). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

let exitCode = 1;
try {
  process.chdir(REPO_ROOT);
  exitCode = await main();
} catch (error) {
  if (!interrupted) log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  if (!interrupted) {
    await cleanup.runAll();
    process.exit(exitCode);
  }
}
