import type { Measurement, Row, Unit } from "./measure.js";

const MB = 1024 * 1024;

/** How a row is judged against another row of the same run. */
export interface Comparison {
  row: string;
  baseline: string;
  /** What the ratio divides: throughput (rate, or bytes/s when the unit is bytes), or a latency percentile. */
  metric: "rate" | "p50" | "p99";
  /**
   * Unset = reported, not judged. By default the ratio above is judged; with `of`, the row's metric divided by
   * another row's metric is judged instead (e.g. a p99 against the time of one bcrypt hash).
   */
  target?: { op: ">=" | "<="; value: number; of?: { row: string; metric: "rate" | "p50" | "p99"; label: string } };
}

export interface Verdict {
  row: Row;
  baseline: Row | null;
  ratio: number | null;
  metric: Comparison["metric"] | null;
  target: string;
  result: "PASS" | "MISS" | "(smoke)" | "";
}

/** Server RSS under the redirect load must stay below this, bytes. */
const RSS_LIMIT_BYTES = 150 * 1024 * 1024;

export function judge(rows: readonly Row[], comparisons: readonly Comparison[]): Verdict[] {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  return rows.map((row) => {
    const comparison = comparisons.find((c) => c.row === row.key);
    const baseline = comparison ? (byKey.get(comparison.baseline) ?? null) : null;
    if (!comparison || !baseline) return { row, baseline: null, ratio: null, metric: null, target: "", result: "" };
    const ratio = row.measurement[comparison.metric] / baseline.measurement[comparison.metric];
    const target = comparison.target;
    if (!target) return { row, baseline, ratio, metric: comparison.metric, target: "(info)", result: "" };
    const op = target.op === ">=" ? "≥" : "≤";
    const reference = target.of ? byKey.get(target.of.row) : undefined;
    if (target.of && !reference)
      return { row, baseline, ratio, metric: comparison.metric, target: `(needs ${target.of.row})`, result: "" };
    const judged =
      reference && target.of ? row.measurement[comparison.metric] / reference.measurement[target.of.metric] : ratio;
    const pass = target.op === ">=" ? judged >= target.value : judged <= target.value;
    return {
      row,
      baseline,
      ratio,
      metric: comparison.metric,
      target:
        reference && target.of
          ? `${comparison.metric} ${op} ${target.value.toFixed(2)}× ${target.of.label} (${ms(reference.measurement[target.of.metric])} ms): ${judged.toFixed(2)}×`
          : `${op} ${target.value.toFixed(2)}×`,
      result: pass ? "PASS" : "MISS",
    };
  });
}

export interface RssVerdict {
  name: string;
  text: string;
  result: "PASS" | "MISS";
}

/** The RSS target, judged on the largest RSS sampled under a redirect load. */
export function judgeRss(row: Row | undefined, label: string): RssVerdict | null {
  const rss = row?.measurement.serverRss ?? null;
  if (rss === null) return null;
  const ratio = rss / RSS_LIMIT_BYTES;
  const result = ratio < 1 ? "PASS" : "MISS";
  const name = `server RSS under the redirect load, ${label} (largest sample)`;
  return {
    name,
    text: `| ${name} | | | | | ${mb(rss)} | ${mb(RSS_LIMIT_BYTES)} limit | ${ratio.toFixed(2)}× | < 1.00× | ${result} |`,
    result,
  };
}

/** An absolute target on one row: a latency percentile, or its server RSS above another row's (ms or bytes). */
export interface Limit {
  row: string;
  metric: "p99" | "rss-over";
  /** For "rss-over": the row whose RSS is subtracted. */
  minus?: string;
  max: number;
  name: string;
}

/** Issue 14: absolute targets of the live group, on this machine. */
export const LIMITS: readonly Limit[] = [
  { row: "live-latency", metric: "p99", max: 50, name: "`imageEvents` latency p99 (completeUpload sent → event)" },
  {
    row: "live-idle",
    metric: "rss-over",
    minus: "live-idle-none",
    max: 50 * MB,
    name: "server RSS, idle subscriptions − none",
  },
];

/** Lines in the RSS rows' format; a limit whose rows did not run is left out. */
export function judgeLimits(rows: readonly Row[], limits: readonly Limit[]): RssVerdict[] {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  return limits.flatMap((limit): RssVerdict[] => {
    const row = byKey.get(limit.row);
    if (!row) return [];
    if (limit.metric === "p99") {
      const value = row.measurement.p99;
      const ratio = value / limit.max;
      const result = ratio <= 1 ? "PASS" : "MISS";
      const text = `| ${limit.name} | | | ${ms(value)} | | | ${limit.max} ms limit | ${ratio.toFixed(2)}× | ≤ 1.00× | ${result} |`;
      return [{ name: limit.name, text, result }];
    }
    const base = limit.minus ? byKey.get(limit.minus)?.measurement.serverRss : null;
    const rss = row.measurement.serverRss;
    if (base === null || base === undefined || rss === null) return [];
    const value = rss - base;
    const ratio = value / limit.max;
    const result = ratio <= 1 ? "PASS" : "MISS";
    const text = `| ${limit.name} | | | | | ${mb(value)} more (${mb(base)} → ${mb(rss)}) | ${mb(limit.max)} limit | ${ratio.toFixed(2)}× | ≤ 1.00× | ${result} |`;
    return [{ name: limit.name, text, result }];
  });
}

/** A Markdown table, pasteable into docs/benchmarks.md as it is. */
export function formatTable(verdicts: readonly Verdict[], rss: readonly RssVerdict[]): string {
  const lines = [
    "| scenario | rate | p50 ms | p99 ms | server CPU/op | server RSS | vs (same run) | ratio | target | result |",
    "|---|--:|--:|--:|--:|--:|---|--:|---|---|",
  ];
  for (const v of verdicts) {
    const m = v.row.measurement;
    const ratio = v.ratio === null ? "" : `${v.ratio.toFixed(2)}×${v.metric === "rate" ? "" : ` (${v.metric})`}`;
    lines.push(
      `| ${v.row.name} | ${formatRate(m, v.row.unit)} | ${ms(m.p50)} | ${ms(m.p99)} | ${cpu(m.serverCpuUs)} | ${m.serverRss === null ? "" : mb(m.serverRss)} | ${v.baseline?.name ?? ""} | ${ratio} | ${v.target} | ${v.result} |`,
    );
  }
  for (const r of rss) lines.push(r.text);
  return lines.join("\n");
}

function formatRate(m: Measurement, unit: Unit): string {
  if (m.count === 0) return "";
  if (unit === "MB/s") return `${((m.rate * m.bytesPerOp) / MB).toFixed(1)} MB/s`;
  const digits = m.rate >= 100 ? 0 : m.rate >= 10 ? 1 : 2;
  return `${m.rate.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

function ms(value: number): string {
  if (Number.isNaN(value)) return "";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function cpu(us: number | null): string {
  if (us === null) return "";
  return us >= 10_000
    ? `${(us / 1000).toFixed(0)} ms`
    : us >= 1000
      ? `${(us / 1000).toFixed(1)} ms`
      : `${us.toFixed(0)} µs`;
}

function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(0)} MB`;
}
