import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * server/heap-growth.ts: the server lets its old generation grow to twice what a full GC kept (V8's own factor, on a
 * fresh process, is 4 or more; on a busy server it settles near 1.75, which set off a full GC every 250 ms). Measured
 * in a process of its own (test/support/heap-growth-probe.ts), since V8 flags are per process.
 */
const probe = fileURLToPath(new URL("../support/heap-growth-probe.ts", import.meta.url));

async function growthFactor(nodeFlags: string[]): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    ...nodeFlags,
    "--expose-gc",
    "--import",
    "tsx",
    probe,
  ]);
  const { factor, majorSeen } = JSON.parse(stdout) as { factor: number; majorSeen: boolean };
  expect(majorSeen, "V8 ran no full GC of its own within 400 MB").toBe(true);
  return factor;
}

describe("heap growth", () => {
  it("lets the old generation grow to about twice what the last full GC kept", async () => {
    const factor = await growthFactor([]);
    expect(factor).toBeGreaterThan(1.5);
    expect(factor).toBeLessThan(3.5);
  });

  it("stands aside when the operator's node flags set the growing factor", async () => {
    expect(await growthFactor(["--heap-growing-percent=300"])).toBeGreaterThan(3.5);
  });
});
