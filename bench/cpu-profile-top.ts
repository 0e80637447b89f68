import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * Summarizes a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): self time per package and per function, and
 * total (inclusive) time per function, as shares of the busy (non-idle) time, largest first.
 * Usage: npx tsx bench/cpu-profile-top.ts <file.cpuprofile> [how many rows, default 30]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, limitArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: npx tsx bench/cpu-profile-top.ts <file.cpuprofile> [rows]");
  process.exit(64);
}
const limit = Number(limitArg ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

// Self time of a node = the time deltas of the samples that landed on it (microseconds).
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const idleUs = [...selfUs]
  .filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)")
  .reduce((sum, [, us]) => sum + us, 0);
const totalUs = profile.endTime - profile.startTime;
const busyUs = totalUs - idleUs;

// Total time: every function on the sampled stack, counted once per sample.
const totalPerFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const label = labelOf(byId.get(at)!.callFrame);
    if (seen.has(label)) continue;
    seen.add(label);
    totalPerFunction.set(label, (totalPerFunction.get(label) ?? 0) + us);
  }
}

const perFunction = new Map<string, number>();
const perPackage = new Map<string, number>();
for (const [id, us] of selfUs) {
  const frame = byId.get(id)!.callFrame;
  if (frame.functionName === "(idle)") continue;
  const name = labelOf(frame);
  perFunction.set(name, (perFunction.get(name) ?? 0) + us);
  perPackage.set(
    packageOf(frame.url, frame.functionName),
    (perPackage.get(packageOf(frame.url, frame.functionName)) ?? 0) + us,
  );
}

const print = (title: string, entries: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(`${((100 * us) / busyUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  }
};
console.log(
  `${path.basename(file)}: ${(totalUs / 1e6).toFixed(1)} s profiled, ${(busyUs / 1e6).toFixed(1)} s busy; shares are of busy time`,
);
print("Self time by package", perPackage);
print("Self time by function", perFunction);
print("Total (inclusive) time by function", totalPerFunction);

function labelOf(frame: ProfileNode["callFrame"]): string {
  const where = frame.url === "" ? "" : `${shorten(frame.url)}:${frame.lineNumber + 1}`;
  return `${frame.functionName || "(anonymous)"} ${where}`.trim();
}

function shorten(url: string): string {
  const i = url.lastIndexOf("node_modules/");
  if (i >= 0) return url.slice(i + "node_modules/".length);
  const j = url.indexOf("/server/");
  return j >= 0 ? url.slice(j + 1) : url.replace(/^file:\/\//, "");
}

function packageOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node core";
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  const server = /\/(server|bench)\/([^/]+)/.exec(url);
  return server ? `${server[1]}/${server[2]}` : url;
}
