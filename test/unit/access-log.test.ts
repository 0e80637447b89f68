import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AccessLog } from "../../server/http/access-log.js";

function capture(level: string) {
  const writes: string[] = [];
  const destination = { write: (chunk: string) => void writes.push(chunk) };
  const log = new AccessLog(pino({ level }, destination), destination);
  return {
    log,
    writes,
    lines: () =>
      writes
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
  };
}

/** The access log's own line writer (issue 16): pino's format, one write for many lines. */
describe("access log", () => {
  it("writes pino-shaped lines, escaping whatever a client put in the URL", () => {
    const { log, lines } = capture("info");
    const urls = [
      "/image/abc",
      '/x?q="quoted"',
      "/back\\slash",
      "/ünïcode/😀",
      "/ctl\u0001\u001f",
      "/tab\tline\nbreak",
    ];
    urls.forEach((url, i) => log.line(`id-${i}`, i % 2 ? "HEAD" : "GET", url, 302 + i, 1.234));
    log.flush();
    const written = lines();
    expect(written.map((line) => line.url)).toEqual(urls);
    expect(written[1]).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      reqId: "id-1",
      method: "HEAD",
      url: '/x?q="quoted"',
      statusCode: 303,
      ms: 1.2,
      msg: "request",
    });
  });

  it("hands lines to the destination together, and all of them on flush", async () => {
    const { log, writes, lines } = capture("info");
    for (let i = 0; i < 5; i++) log.line(`id-${i}`, "GET", `/image/${i}`, 302, 0.1);
    expect(writes).toEqual([]);
    await expect.poll(() => writes.length).toBe(1);
    expect(lines().map((line) => line.reqId)).toEqual(["id-0", "id-1", "id-2", "id-3", "id-4"]);
  });

  it("writes nothing above info", () => {
    for (const level of ["warn", "silent"]) {
      const { log, writes } = capture(level);
      log.line("id", "GET", "/image/x", 302, 0.1);
      log.flush();
      expect(writes).toEqual([]);
    }
  });
});
