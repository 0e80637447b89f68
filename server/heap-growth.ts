import v8 from "node:v8";

/**
 * How far the old generation may grow past what the last full GC kept before V8 collects it again, in per cent
 * (100: to twice). V8's own factor, derived from GC and allocation speeds, settles near 1.75 on a busy server: with
 * ~33 MB kept that leaves ~25 MB of room, less than the young generation's 32 MB, and V8 starts marking again as
 * soon as the room is smaller than the young generation. The server then runs a full GC every 200–300 ms, and the
 * requests that meet one wait for it (the `imageEvents` p99 of issue 14; docs/benchmarks.md, "A full GC every
 * 250 ms"). Twice the kept size leaves room above the young generation, for some 25 MB more heap under load.
 */
const HEAP_GROWING_PERCENT = 100;

/** Sets the server's heap growing factor (read by V8 at every full GC), unless the operator's node flags set one. */
export function tuneHeapGrowth(
  nodeFlags: readonly string[] = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)],
): void {
  if (nodeFlags.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
