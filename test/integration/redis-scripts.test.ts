import { createHash, randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runScript } from "../../server/redis/scripts.js";

/** Issue 19: Lua scripts are sent whole once per node, then by SHA1 only. */
describe("runScript", () => {
  let redis: Redis;
  let monitor: Awaited<ReturnType<Redis["monitor"]>>;
  const seen: string[][] = [];

  beforeAll(async () => {
    redis = new Redis(inject("redisUrl"));
    monitor = await new Redis(inject("redisUrl")).monitor();
    monitor.on("monitor", (_time: string, args: string[]) => seen.push(args));
  });
  afterAll(async () => {
    monitor?.disconnect();
    redis?.disconnect();
  });

  it("sends the script in full once, then only its SHA1, and answers as EVAL would", async () => {
    // A script of this test's own, so commands from other test files are told apart.
    // One line: MONITOR escapes line breaks.
    const lua = `return {KEYS[1], ARGV[1]} -- ${randomBytes(8).toString("hex")}`;
    const sha = createHash("sha1").update(lua).digest("hex");
    for (let i = 0; i < 3; i++)
      expect(await runScript(redis, lua, 1, "some-key", String(i))).toEqual(["some-key", String(i)]);

    const ofThisScript = () => seen.filter((args) => args[1] === lua || args[1] === sha);
    const deadline = Date.now() + 5_000;
    while (ofThisScript().length < 4 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    // The first EVALSHA finds the node without the script (NOSCRIPT), which loads it with the one EVAL.
    expect(ofThisScript().map((args) => args[0]?.toLowerCase())).toEqual(["evalsha", "eval", "evalsha", "evalsha"]);
  });

  it("runs a script first called while an auto-pipeline is open (as concurrent requests do)", async () => {
    const pipelined = new Redis(inject("redisUrl"), { enableAutoPipelining: true });
    try {
      const lua = `return ARGV[1] -- ${randomBytes(8).toString("hex")}`;
      // The GET opens an auto-pipeline; the script's first call joins it in the same tick.
      const [absent, answer] = await Promise.all([pipelined.get(`absent-${lua}`), runScript(pipelined, lua, 0, "ok")]);
      expect([absent, answer]).toEqual([null, "ok"]);
    } finally {
      pipelined.disconnect();
    }
  });
});
