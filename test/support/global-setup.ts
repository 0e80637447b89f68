import type { TestProject } from "vitest/node";
import { startTestRedis } from "./redis-server.js";
import { startRgw } from "./rgw.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the redis-server this test run started; test files share it, each using its own random names. */
    redisUrl: string;
    /** The run's private RADOS Gateway (a real S3); test files share it, each in its own bucket (rgwBucket). */
    rgw: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  }
}

/**
 * One private redis-server and one private RADOS Gateway for the whole run, started side by side; never the
 * machine's own Redis. One gateway (about 3 s and 135 MiB) instead of one per file keeps CI within its budget.
 */
export default async function setup(project: TestProject) {
  const [redis, rgw] = await Promise.allSettled([startTestRedis(), startRgw()]);
  if (redis.status === "rejected" || rgw.status === "rejected") {
    if (redis.status === "fulfilled") await redis.value.destroy();
    if (rgw.status === "fulfilled") await rgw.value.stop();
    throw redis.status === "rejected" ? redis.reason : (rgw as PromiseRejectedResult).reason;
  }
  project.provide("redisUrl", redis.value.url);
  const { endpoint, accessKeyId, secretAccessKey } = rgw.value;
  project.provide("rgw", { endpoint, accessKeyId, secretAccessKey });
  return async () => {
    await Promise.all([redis.value.destroy(), rgw.value.stop()]);
  };
}
