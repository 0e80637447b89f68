import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ProgressBoard } from "../../cli/progress.js";

describe("upload progress bars", () => {
  it("draws one bar per running file, redraws in place, and keeps printed lines above the bars", async () => {
    const stream = Object.assign(new PassThrough(), { columns: 100 }) as unknown as NodeJS.WriteStream;
    let out = "";
    (stream as unknown as PassThrough).on("data", (d: Buffer) => (out += d.toString()));
    const board = new ProgressBoard(stream, 10);
    board.start(0, "cat.png", 1000);
    board.start(1, "evil\u001b[2Jname.png", 2000);
    board.update(0, 500, 1000);
    await new Promise((r) => setTimeout(r, 120));
    expect(out).toContain("cat.png");
    expect(out).toMatch(/\[#####-----\]\s+50% 500 B\/1000 B/);
    // A hostile name cannot send escape sequences to the terminal.
    expect(out).toContain("evil?[2Jname.png");

    out = "";
    board.log(() => stream.write("https://example.test/image/x\n"));
    // Lifted (cursor up 2, clear), printed, redrawn below.
    expect(out.startsWith("\u001b[2A\u001b[0Jhttps://example.test/image/x\n")).toBe(true);
    expect(out.split("\n").filter((l) => l.includes("%")).length).toBe(2);

    board.end(0);
    board.stop();
    expect(out.endsWith("\u001b[1A\u001b[0J")).toBe(true);
  });

  it("shows a status instead of the byte count while a file is being converted", async () => {
    const stream = Object.assign(new PassThrough(), { columns: 100 }) as unknown as NodeJS.WriteStream;
    let out = "";
    (stream as unknown as PassThrough).on("data", (d: Buffer) => (out += d.toString()));
    const board = new ProgressBoard(stream, 10);
    board.start(0, "IMG_0042.heic", 3000);
    board.setStatus(0, "converting to JPEG");
    await new Promise((r) => setTimeout(r, 120));
    expect(out).toMatch(/IMG_0042\.heic\s+\[-{10}\] converting to JPEG\n$/);

    out = "";
    board.setStatus(0, null);
    board.update(0, 600, 1200);
    await new Promise((r) => setTimeout(r, 120));
    expect(out).toMatch(/\[#####-----\]\s+50% 600 B\/1.2 KiB\n$/);
    board.stop();
  });
});
