import { z } from "zod";
import { type RouteSpec, errorObject } from "./route-spec.js";

/** Liveness, readiness (handlers in readiness.routes.ts) and the OpenAPI document. */

const notReadyBody = z.object({
  error: errorObject.extend({
    unavailable: z.array(z.enum(["redis", "storage"])).describe("The dependencies that did not answer."),
  }),
});

export const operationRoutes = {
  health: {
    method: "GET",
    path: "/health",
    tag: "operations",
    summary: "Liveness: answers while the process runs.",
    auth: false,
    success: { status: 200, description: "Alive.", body: z.object({ status: z.literal("ok") }) },
    errors: {},
    servedBy: "server/http/health.routes.ts",
  },
  redisCheck: {
    method: "GET",
    path: "/redis-check",
    tag: "operations",
    summary: "Whether Redis answers.",
    auth: false,
    success: { status: 200, description: "Redis answers.", body: z.object({ redis: z.literal(true) }) },
    errors: { 503: "Redis does not answer (within 2 s)." },
    errorDetails: { keys: ["unavailable"], body: notReadyBody },
  },
  ready: {
    method: "GET",
    path: "/ready",
    tag: "operations",
    summary: "Readiness: whether Redis and storage both answer.",
    auth: false,
    success: {
      status: 200,
      description: "Ready to serve.",
      body: z.object({
        status: z.literal("ready"),
        checks: z.object({ redis: z.literal("ok"), storage: z.literal("ok") }),
      }),
    },
    errors: { 503: "Redis or storage does not answer (within 2 s); `error.unavailable` names which." },
    errorDetails: { keys: ["unavailable"], body: notReadyBody },
  },
  openApi: {
    method: "GET",
    path: "/api/v1/openapi.json",
    tag: "operations",
    summary: "This document (OpenAPI 3.1).",
    auth: false,
    success: { status: 200, description: "The OpenAPI document.", body: z.record(z.string(), z.unknown()) },
    errors: {},
  },
} as const satisfies Record<string, RouteSpec>;
