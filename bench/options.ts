import { parseArgs } from "node:util";

export const GROUPS = ["redirect", "list", "flat", "upload", "login", "live", "pipeline"] as const;
export type Group = (typeof GROUPS)[number];

export interface Settings {
  /** Few-seconds mode: tiny durations and seeds; checks that every scenario runs, never judges timings. */
  readonly smoke: boolean;
  /** Measured seconds per scenario. */
  readonly duration: number;
  /** Seconds of the same load before each measurement, discarded. */
  readonly warmup: number;
  /** The measured seconds of the scenarios compared with each other are split into this many interleaved rounds. */
  readonly rounds: number;
  /** Concurrent connections of the throughput scenarios. */
  readonly connections: number;
  /** Concurrent connections of the first-page latency pair: low, so p50 is service time more than queueing. */
  readonly latencyConnections: number;
  /** Images of the big user in the first-page latency pair. */
  readonly bigList: number;
  /** Images of the small user in that pair. */
  readonly smallList: number;
  /** Distinct image ids the redirect scenarios cycle through. */
  readonly redirectIds: number;
  readonly bcryptCost: number;
  /** Parallel sequential loops of the upload and login scenarios. */
  readonly workers: number;
  /** Tickets requested (untimed) before each timed round of PUTs. */
  readonly putBatch: number;
  /** Idle WebSocket subscriptions of the live group's RSS pair. */
  readonly idleSubscriptions: number;
  readonly groups: ReadonlySet<Group>;
  /** Write V8 CPU profiles of the ImageHost server processes here; null = no profiling. */
  readonly cpuProfDir: string | null;
  /** Also write the results as JSON here. */
  readonly jsonPath: string | null;
  /** Exit 2 when a target is missed (never in smoke mode). */
  readonly strict: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

  --duration <s>      measured seconds per scenario (default 10; smoke 0.5)
  --warmup <s>        warm-up seconds before each scenario (default 2; smoke 0.2)
  --rounds <n>        interleaved rounds the measured seconds of compared scenarios are split into
                      (default 3; smoke 1)
  --connections <n>   connections of the throughput scenarios (default 32)
  --images <n>        images of the big user in the first-page latency pair (default 100000; smoke 1000)
  --only <groups>     comma-separated subset of: ${GROUPS.join(", ")}
  --cpu-prof [dir]    V8 CPU profiles of the server processes into <dir> (default: a new temp dir, kept)
  --json <file>       also write the results as JSON
  --strict            exit 2 when a target is missed
  --smoke             a few seconds: tiny durations and seeds; checks every scenario runs, judges no timing
  -h, --help`;

export class UsageError extends Error {
  override name = "UsageError";
}

export function parseSettings(argv: readonly string[]): Settings | "help" {
  // --cpu-prof takes an optional directory; parseArgs has no optional values, so give a bare flag an empty one.
  const args = argv.flatMap((arg, i) =>
    arg === "--cpu-prof" && (argv[i + 1] === undefined || argv[i + 1]!.startsWith("-")) ? [arg, ""] : [arg],
  );
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: "string" },
        warmup: { type: "string" },
        rounds: { type: "string" },
        connections: { type: "string" },
        images: { type: "string" },
        only: { type: "string" },
        "cpu-prof": { type: "string" },
        json: { type: "string" },
        strict: { type: "boolean", default: false },
        smoke: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return "help";
  const smoke = values.smoke;
  const groups =
    values.only === undefined
      ? [...GROUPS]
      : values.only
          .split(",")
          .map((g) => g.trim())
          .filter(Boolean);
  for (const group of groups) {
    if (!(GROUPS as readonly string[]).includes(group))
      throw new UsageError(`--only: unknown group "${group}" (known: ${GROUPS.join(", ")})`);
  }
  const bigList = positive("images", values.images, smoke ? 1_000 : 100_000, true);
  return {
    smoke,
    duration: positive("duration", values.duration, smoke ? 0.5 : 10),
    warmup: nonNegative("warmup", values.warmup, smoke ? 0.2 : 2),
    rounds: positive("rounds", values.rounds, smoke ? 1 : 3, true),
    connections: positive("connections", values.connections, smoke ? 8 : 32, true),
    latencyConnections: 4,
    bigList,
    smallList: Math.min(100, bigList),
    redirectIds: smoke ? 100 : 1_000,
    // The floor the server accepts; the full run uses the production default.
    bcryptCost: smoke ? 10 : 12,
    workers: 4,
    putBatch: smoke ? 8 : 40,
    idleSubscriptions: smoke ? 20 : 1_000,
    groups: new Set(groups as Group[]),
    cpuProfDir: values["cpu-prof"] ?? null,
    jsonPath: values.json ?? null,
    strict: values.strict,
  };
}

function positive(name: string, raw: string | undefined, fallback: number, integer = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be a positive ${integer ? "whole " : ""}number, got "${raw}"`);
  }
  return value;
}

function nonNegative(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`--${name} must be a number ≥ 0, got "${raw}"`);
  return value;
}
