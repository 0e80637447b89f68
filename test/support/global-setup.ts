import type { TestProject } from "vitest/node";
import { startTestRedis } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the redis-server this test run started; test files share it, each using its own random names. */
    redisUrl: string;
  }
}

/** One private redis-server for the whole run; never the machine's own Redis. */
export default async function setup(project: TestProject) {
  const redis = await startTestRedis();
  project.provide("redisUrl", redis.url);
  return () => redis.destroy();
}
