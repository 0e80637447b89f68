import type { ReadinessService } from "../services/readiness.service.js";
import type { RestHandlers } from "./route-table.js";

/** GET /redis-check and GET /ready (liveness, GET /health, is http/health.routes.ts: it checks nothing). */
export function readinessHandlers(readiness: ReadinessService): Pick<RestHandlers, "redisCheck" | "ready"> {
  return {
    redisCheck: async () => {
      await readiness.assertRedis();
      return { redis: true as const };
    },
    ready: async () => ({ status: "ready" as const, checks: await readiness.assertReady() }),
  };
}
