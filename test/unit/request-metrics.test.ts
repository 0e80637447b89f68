import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { HttpRequestMetrics } from "../../server/http/request-metrics.js";

const REQUESTS = {
  name: "imagehost_http_requests_total",
  help: "HTTP requests by method, route pattern and status.",
};
const LATENCY = {
  name: "imagehost_http_request_duration_seconds",
  help: "HTTP request latency by method and route pattern.",
};

/** prom-client's own Counter and Histogram, as the metrics were before they were counted by hand. */
function promClientMetrics() {
  const registry = new Registry();
  const requests = new Counter({ ...REQUESTS, labelNames: ["method", "route", "status"], registers: [registry] });
  const latency = new Histogram({
    ...LATENCY,
    labelNames: ["method", "route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    record(method: string, route: string, status: string, seconds: number) {
      requests.inc({ method, route, status });
      latency.observe({ method, route }, seconds);
    },
  };
}

/** Issue 16: HTTP request metrics counted without prom-client's per-call label hashing, printed the same. */
describe("HTTP request metrics", () => {
  it("prints exactly what prom-client's Counter and Histogram print for the same requests", async () => {
    const reference = promClientMetrics();
    const registry = new Registry();
    const ours = new HttpRequestMetrics(registry);
    const requests: [string, string, string, number][] = [
      ["GET", "/image/:id", "302", 0.0004],
      ["GET", "/image/:id", "302", 0.001], // on a bound: counted in that bucket
      ["HEAD", "/image/:id", "302", 0.0031],
      ["GET", "/image/:id", "404", 0.02],
      ["POST", "/graphql", "200", 0.07],
      ["POST", "/graphql", "200", 3.5], // above every bound
      ["POST", "/graphql", "400", 0.26],
      ['GET "quoted" \\ route', "unmatched", "404", 0.0099],
    ];
    for (const [method, route, status, seconds] of requests) {
      reference.record(method, route, status, seconds);
      ours.seriesOf(method, route, status).record(seconds);
    }
    const printed = await registry.metrics();
    expect(printed).toBe(await reference.registry.metrics());
    expect(printed).toContain('imagehost_http_requests_total{method="POST",route="/graphql",status="200"} 2');
    expect(printed).toContain(
      'imagehost_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/image/:id"} 2',
    );
  });

  it("keeps one series per method, route and status, sharing the route's histogram", async () => {
    const registry = new Registry();
    const metrics = new HttpRequestMetrics(registry);
    expect(metrics.seriesOf("GET", "/x", "200")).toBe(metrics.seriesOf("GET", "/x", "200"));
    metrics.seriesOf("GET", "/x", "200").record(0.01);
    metrics.seriesOf("GET", "/x", "500").record(0.01);
    const printed = await registry.metrics();
    expect(printed).toContain('imagehost_http_request_duration_seconds_count{method="GET",route="/x"} 2');
    expect(printed.match(/_count\{/g)).toHaveLength(1);
  });
});
