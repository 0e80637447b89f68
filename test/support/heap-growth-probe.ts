import { PerformanceObserver, constants } from "node:perf_hooks";
import v8 from "node:v8";
import { tuneHeapGrowth } from "../../server/heap-growth.js";

/**
 * Run by test/unit/heap-growth.test.ts with --expose-gc (and the node flags under test): tunes the heap as the
 * server does, keeps about 40 MB, collects it, then keeps 1 MB more at a time until V8 runs a full GC by itself, and
 * prints the old generation's size then divided by what the explicit GC kept: about the growing factor V8 applied
 * (a little over it, as allocation goes on while V8 marks).
 */
tuneHeapGrowth();
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

const kept: number[][] = [];
/** Keeps about `mb` MB more: arrays of 128 small integers, about 1 KB each. */
const keep = (mb: number) => {
  for (let i = 0; i < mb * 1024; i++) kept.push(new Array<number>(128).fill(i));
};
const oldSpaceUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space")!.space_used_size;

keep(40);
gc();
gc();
const afterExplicit = oldSpaceUsed();
let majorSeen = false;
const observer = new PerformanceObserver((list) => {
  if (
    list
      .getEntries()
      .some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
  )
    majorSeen = true;
});
observer.observe({ entryTypes: ["gc"] });
let before = afterExplicit;
for (let step = 0; step < 400 && !majorSeen; step++) {
  before = oldSpaceUsed();
  keep(1);
  await new Promise((resolve) => setImmediate(resolve));
}
observer.disconnect();
process.stdout.write(JSON.stringify({ factor: before / afterExplicit, majorSeen, keptMb: afterExplicit / 2 ** 20 }));
