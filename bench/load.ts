import type { EventEmitter } from "node:events";
import http from "node:http";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { ScenarioError } from "./scenario-error.js";

/** The slice of autocannon's (untyped, CommonJS) API the harness uses. */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  /** Seconds before a request counts as a timeout. */
  timeout?: number;
  /** Milliseconds between autocannon's own samples; it also checks for the end of `duration` only then. */
  sampleInt?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  requests?: AutocannonRequest[];
  verifyBody?: (body: string) => boolean;
  /** Called once per connection before it starts. */
  setupClient?: (client: { setRequests(requests: AutocannonRequest[]): void }) => void;
}
interface AutocannonResult {
  errors: number;
  timeouts: number;
  mismatches: number;
}
type Autocannon = (
  options: AutocannonOptions,
  done: (error: Error | null, result: AutocannonResult) => void,
) => EventEmitter;

// autocannon ships no types and is CommonJS; require it through a typed door instead of an ambient declaration.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

// Its own light module so that bench/image-events.ts (also run in bench/live-client.ts) need not load autocannon.
export { ScenarioError };

/** Latencies in milliseconds, kept exactly (autocannon's own histogram rounds to whole milliseconds). */
export class Latencies {
  private values = new Float64Array(1 << 14);
  private size = 0;

  add(ms: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = ms;
  }

  addAll(other: Latencies): void {
    for (let i = 0; i < other.size; i++) this.add(other.values[i]!);
  }

  get count(): number {
    return this.size;
  }

  /** The q-quantile (0..1), nearest rank; NaN when empty. */
  percentile(q: number): number {
    if (this.size === 0) return Number.NaN;
    const sorted = this.values.slice(0, this.size).sort();
    return sorted[Math.min(this.size - 1, Math.max(0, Math.ceil(q * this.size) - 1))]!;
  }
}

/** What one timed stretch of load produced; stretches of the same scenario merge into one. */
export interface Sample {
  /** One entry per operation that completed as expected. */
  latencies: Latencies;
  /** Wall time of the stretch, seconds. */
  seconds: number;
  /**
   * CPU seconds the server spent on the timed work, when the stretch also did untimed work against it (the PUT
   * scenario requests and completes tickets between its timed rounds); otherwise the whole stretch is counted.
   */
  serverCpuSeconds?: number;
}

export interface HttpLoad {
  url: string;
  connections: number;
  /** Status every answer must have, e.g. 200 or 302. */
  expectStatus: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /**
   * Paths every connection cycles through, each connection starting at its own offset so they do not all ask
   * for the same one at once (prebuilt by autocannon, so no per-request client work).
   */
  paths?: readonly string[];
  /** Checks every answer's body; a false counts as a failure. Costs client CPU, so use it on both sides of a pair. */
  verifyBody?: (body: string) => boolean;
}

/**
 * Drives HTTP load with autocannon for `seconds` and measures it ourselves: every answer's status is checked
 * and its latency kept with sub-millisecond precision. Throws ScenarioError if any answer was not the expected one.
 */
export function httpLoad(load: HttpLoad, seconds: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const latencies = new Latencies();
    const unexpected = new Map<number, number>();
    let startedAt = performance.now();
    const instance = autocannon(
      {
        url: load.url,
        connections: load.connections,
        duration: seconds,
        timeout: 10,
        sampleInt: 100,
        method: load.method ?? "GET",
        headers: load.headers ?? {},
        ...(load.body !== undefined ? { body: load.body } : {}),
        ...(load.paths ? spread(load.paths, load.connections) : {}),
        ...(load.verifyBody ? { verifyBody: load.verifyBody } : {}),
      },
      (error, result) => {
        const elapsed = (performance.now() - startedAt) / 1000;
        if (error) return reject(error);
        const problems: string[] = [];
        if (unexpected.size > 0) problems.push(`unexpected statuses ${JSON.stringify(Object.fromEntries(unexpected))}`);
        if (result.errors > 0) problems.push(`${result.errors} connection errors (${result.timeouts} timeouts)`);
        if (result.mismatches > 0) problems.push(`${result.mismatches} answers failed the body check`);
        if (latencies.count === 0) problems.push("no answers at all");
        if (problems.length > 0) return reject(new ScenarioError(`${load.url}: ${problems.join("; ")}`));
        resolve({ latencies, seconds: elapsed });
      },
    );
    instance.once("start", () => {
      startedAt = performance.now();
    });
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status === load.expectStatus) latencies.add(ms);
      else unexpected.set(status, (unexpected.get(status) ?? 0) + 1);
    });
  });
}

/**
 * Open-loop load: GETs of `paths` (cycled) issued evenly at `rate` per second for `seconds`, whatever the answers
 * do, over keep-alive sockets (as many as needed). autocannon's own pacing releases each second's quota in a burst
 * at the start of the second, which would measure our burst, not the server. Latency runs from issuing the request.
 */
export function pacedHttpLoad(
  load: { url: string; paths: readonly string[]; expectStatus: number },
  rate: number,
  seconds: number,
): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const latencies = new Latencies();
    const unexpected = new Map<number, number>();
    const errors: string[] = [];
    const total = Math.max(1, Math.floor(rate * seconds));
    const startedAt = performance.now();
    let sent = 0;
    let answered = 0;
    const finish = () => {
      agent.destroy();
      const problems: string[] = [];
      if (unexpected.size > 0) problems.push(`unexpected statuses ${JSON.stringify(Object.fromEntries(unexpected))}`);
      if (errors.length > 0) problems.push(`${errors.length} request errors (${errors[0]})`);
      if (problems.length > 0) return reject(new ScenarioError(`${load.url}: ${problems.join("; ")}`));
      resolve({ latencies, seconds: (performance.now() - startedAt) / 1000 });
    };
    const settle = () => {
      if (++answered === total) finish();
    };
    const fire = (path: string) => {
      const t0 = performance.now();
      const request = http.get(`${load.url}${path}`, { agent }, (response) => {
        response.resume();
        response.once("end", () => {
          if (response.statusCode === load.expectStatus) latencies.add(performance.now() - t0);
          else unexpected.set(response.statusCode ?? 0, (unexpected.get(response.statusCode ?? 0) ?? 0) + 1);
          settle();
        });
      });
      request.setTimeout(10_000, () => request.destroy(new Error("timed out after 10 s")));
      request.once("error", (error) => {
        errors.push(error.message);
        settle();
      });
    };
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * rate));
      while (sent < due) fire(load.paths[sent++ % load.paths.length]!);
      if (sent === total) clearInterval(timer);
    }, 2);
  });
}

/** Connection i starts i/connections of the way through `paths`. */
function spread(paths: readonly string[], connections: number): Pick<AutocannonOptions, "requests" | "setupClient"> {
  let next = 0;
  return {
    requests: [{ path: paths[0]! }],
    setupClient: (client) => {
      const offset = Math.floor(((next++ % connections) * paths.length) / connections);
      client.setRequests([...paths.slice(offset), ...paths.slice(0, offset)].map((path) => ({ path })));
    },
  };
}

/**
 * Runs `workers` sequential loops of `operation` for `seconds` (or until `signal` aborts), each operation timed.
 * An operation that throws stops every loop and rejects: the scenario failed to run.
 */
export async function loops(
  workers: number,
  seconds: number,
  operation: (worker: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<Sample> {
  const latencies = new Latencies();
  const startedAt = performance.now();
  const deadline = startedAt + seconds * 1000;
  let failed = false;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (!failed && !signal?.aborted && performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await operation(worker);
        } catch (error) {
          failed = true;
          throw error;
        }
        latencies.add(performance.now() - t0);
      }
    }),
  );
  if (latencies.count === 0) throw new ScenarioError("no operation completed");
  return { latencies, seconds: (performance.now() - startedAt) / 1000 };
}

/** Runs `operation` on every item, `workers` at a time. */
export async function pool<T>(
  items: readonly T[],
  workers: number,
  operation: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, items.length) }, async () => {
      while (next < items.length) await operation(items[next++]!);
    }),
  );
}
