import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { createApp, type App, type AppOptions } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { freePort } from "./redis-server.js";

export interface TestApp {
  readonly app: App;
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * A real server on a free loopback port, on the run's private Redis (or `env.REDIS_URL`), with its data in a
 * temp dir. bcrypt runs at the floor cost (10) to keep the suite fast; production defaults to 12. Per-IP abuse
 * limits are lifted (all tests share one IP) unless `env` sets them.
 */
export async function startTestApp(env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "ih-test-data-"));
  const config = loadConfig({
    REDIS_URL: inject("redisUrl"),
    // A concrete port, so PUBLIC_URL (and every link and upload URL built from it) is right.
    PORT: String(await freePort()),
    DATA_DIR: dataDir,
    BCRYPT_COST: "10",
    LOG_LEVEL: "silent",
    // Every test request comes from 127.0.0.1; the abuse-limit tests set the real limits themselves.
    REGISTRATIONS_PER_IP: "100000",
    REGISTRATION_ATTEMPTS_PER_IP: "100000",
    LOGIN_FAILURES_PER_IP: "100000",
    // Test files share one Redis: each server gets a queue of its own, so its worker sees only its own jobs.
    QUEUE_NAME: `test-${randomBytes(6).toString("hex")}`,
    ...env,
  });
  const app = await createApp(config, options);
  const baseUrl = await app.listen();
  return {
    app,
    baseUrl,
    dataDir,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
