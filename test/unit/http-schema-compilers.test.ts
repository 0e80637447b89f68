import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { createHttpServer } from "../../server/http/http-app.js";

const config = loadConfig({ REDIS_URL: "redis://127.0.0.1:1", LOG_LEVEL: "silent" });

/** Issue 16: Fastify's default schema compilers are never used, so they are never loaded (about 2.7 MB of heap). */
describe("Fastify's schema compilers", () => {
  it("are not loaded by the server", async () => {
    const { http } = createHttpServer(config, {});
    http.get("/plain", async () => "ok");
    await http.ready();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    const compilers = /@fastify\/(ajv-compiler|fast-json-stringify-compiler)\//;
    expect(loaded.filter((file) => compilers.test(file))).toEqual([]);
    await http.close();
  });

  it("refuse a route with a schema but no compiler of its own, at startup and naming the route", async () => {
    const { http } = createHttpServer(config, {});
    http.post("/unchecked", { schema: { body: { type: "object" } } }, async () => "never");
    await expect(http.ready()).rejects.toThrow("POST /unchecked: a schema without its own validator compiler");
    await http.close();
  });
});
