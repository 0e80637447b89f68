import { AppError, ErrorCode } from "../errors.js";

/** What the server cannot serve requests without. */
export type Dependency = "redis" | "storage";
const DEPENDENCIES: readonly Dependency[] = ["redis", "storage"];

/**
 * One probe per dependency; each resolves when it answers and throws otherwise (`AccountStore.checkReady`,
 * `BlobStore.checkReady`).
 */
export type ReadinessProbes = Readonly<Record<Dependency, () => Promise<void>>>;

/**
 * SEC-14 wants a 503 within 3 s when Redis is down; a probe that has not answered after 2 s counts as down, so a
 * store that hangs instead of refusing still gets reported in time.
 */
const PROBE_TIMEOUT_MS = 2_000;

/** Thrown when a dependency does not answer; `unavailable` names which, for the operator and the load balancer. */
export class NotReadyError extends AppError {
  constructor(
    readonly unavailable: readonly Dependency[],
    options?: { cause?: unknown },
  ) {
    super(
      ErrorCode.SERVICE_UNAVAILABLE,
      `Not ready: ${listOf(unavailable)} ${unavailable.length === 1 ? "is" : "are"} unavailable.`,
      {
        unavailable: [...unavailable],
      },
    );
    this.name = "NotReadyError";
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** Readiness (for load balancers and `/redis-check`): probes the dependencies, each bounded in time. */
export class ReadinessService {
  constructor(
    private readonly probes: ReadinessProbes,
    private readonly timeoutMs = PROBE_TIMEOUT_MS,
  ) {}

  /** Every dependency answers; otherwise throws NotReadyError naming those that failed or timed out. */
  async assertReady(): Promise<Record<Dependency, "ok">> {
    await this.probe(DEPENDENCIES);
    return { redis: "ok", storage: "ok" };
  }

  /** Redis alone answers (the older clients' `/redis-check`); otherwise throws NotReadyError. */
  async assertRedis(): Promise<void> {
    await this.probe(["redis"]);
  }

  /** Probes in parallel, so the slowest probe, not their sum, bounds the answer time. */
  private async probe(dependencies: readonly Dependency[]): Promise<void> {
    const outcomes = await Promise.allSettled(dependencies.map((d) => withinTime(this.probes[d], this.timeoutMs, d)));
    const failed = dependencies.filter((_, i) => outcomes[i]!.status === "rejected");
    if (failed.length === 0) return;
    const causes = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
    throw new NotReadyError(failed, {
      cause: causes.length === 1 ? causes[0] : new AggregateError(causes, "readiness probes failed"),
    });
  }
}

function listOf(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? "nothing") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

async function withinTime(probe: () => Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([probe(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
