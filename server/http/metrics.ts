import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Counter, Registry } from "prom-client";
import { DependencyUnavailableError, unauthenticated } from "../errors.js";
import { sendError } from "./error-reply.js";
import { HttpRequestMetrics } from "./request-metrics.js";

/**
 * Prometheus metrics for a fleet (issue 9): requests and latency by route, upload outcomes, dependency errors.
 * One registry per app (no global state), exposed at `/metrics` only to holders of the configured token.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Requests and their latency by route (request-metrics.ts). */
  readonly http = new HttpRequestMetrics(this.registry);
  readonly uploads = new Counter({
    name: "imagehost_uploads_total",
    help: "completeUpload outcomes: completed, rejected (bad bytes), failed (unexpected or dependency down).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly dependencyErrors = new Counter({
    name: "imagehost_dependency_errors_total",
    help: "Requests that failed because Redis or object storage could not be reached.",
    labelNames: ["dependency"] as const,
    registers: [this.registry],
  });
}

/** Times every request by its route pattern (never the raw URL, which would explode cardinality). */
export function registerMetricsRoutes(app: FastifyInstance, metrics: Metrics, token: string | null): void {
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.http.seriesOf(request.method, route, String(reply.statusCode)).record(reply.elapsedTime / 1000);
    done();
  });
  if (token === null) return;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  const expected = digest(`Bearer ${token}`);
  app.get("/metrics", async (request, reply) => {
    if (!timingSafeEqual(digest(request.headers.authorization ?? ""), expected)) {
      return sendError(request, reply, unauthenticated("Metrics need the configured token."));
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

/** Wraps a port so every DependencyUnavailableError it throws is counted, then rethrown unchanged. */
export function countDependencyErrors<T extends object>(port: T, metrics: Metrics): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            if (error instanceof DependencyUnavailableError)
              metrics.dependencyErrors.inc({ dependency: error.dependency });
            throw error;
          });
        }
        return result;
      };
    },
  });
}
