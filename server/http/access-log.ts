import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from "fastify";
import { pino } from "pino";

/** How long an access line may wait for others to share its write. */
const FLUSH_DELAY_MS = 50;
/** Written at once when this many are waiting, so a burst does not pile up in memory. */
const MAX_PENDING_LINES = 1000;

/** Where log lines go: pino's destination, or a test's stream. */
export interface LogDestination {
  write(chunk: string): unknown;
}

/**
 * The access log: one line per answered request at info level, with the request id (reqId) like every other line of
 * that request, in pino's format (so a log shipper sees one kind of line). Written here rather than through pino:
 * on the redirect hot path pino's generic serialisation and a write into its destination per line cost several
 * microseconds each, and a write to the destination per line a system call each; here a line is one template
 * string, and lines reach the destination together, at most FLUSH_DELAY_MS after they were written.
 */
export class AccessLog {
  private readonly enabled: boolean;
  /** pino's own serialised base bindings (`,"pid":...,"hostname":"..."`), so the lines match its other lines. */
  private readonly bindings: string;
  private readonly level: number;
  private pending = "";
  private pendingLines = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    logger: FastifyBaseLogger,
    private readonly destination: LogDestination,
  ) {
    this.level = pino.levels.values.info ?? 30;
    // "silent" has no number: nothing is enabled.
    this.enabled = (pino.levels.values[logger.level] ?? Number.POSITIVE_INFINITY) <= this.level;
    this.bindings = String((logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym] ?? "");
  }

  line(requestId: string, method: string, url: string, statusCode: number, elapsedMs: number): void {
    if (!this.enabled) return;
    this.pending +=
      `{"level":${this.level},"time":${Date.now()}${this.bindings},"reqId":${jsonString(requestId)},` +
      `"method":${jsonString(method)},"url":${jsonString(url)},"statusCode":${statusCode},` +
      `"ms":${tenths(elapsedMs)},"msg":"request"}\n`;
    this.pendingLines++;
    if (this.pendingLines === 1) this.timer = setTimeout(this.flush, FLUSH_DELAY_MS);
    else if (this.pendingLines >= MAX_PENDING_LINES) this.flush();
  }

  /** Hands every line written so far to the destination (also on shutdown). */
  readonly flush = () => {
    clearTimeout(this.timer);
    if (this.pendingLines === 0) return;
    const lines = this.pending;
    this.pending = "";
    this.pendingLines = 0;
    this.destination.write(lines);
  };
}

/** Printable ASCII without `"` or `\\` needs no escaping (request ids, methods, most paths): quoted as is. */
const PLAIN_JSON_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Milliseconds as the access lines give them: to a tenth. */
function tenths(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function jsonString(value: string): string {
  return PLAIN_JSON_STRING.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * Fastify's side of the access log. Fastify's own controller writes two lines per request ("incoming request" and
 * "request completed"), which on the redirect hot path cost a third of the throughput (docs/benchmarks.md); a
 * proxy in front may keep its own access log instead (LOG_LEVEL=warn drops these lines). A failed request's line
 * goes through pino, with the error serialised.
 */
export class AccessLogController extends LogController {
  constructor(private readonly accessLog: () => AccessLog) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      const ms = tenths(reply.elapsedTime);
      reply.log.error(
        { method: request.method, url: request.url, statusCode: reply.statusCode, ms, err: error },
        "request errored",
      );
    } else this.accessLog().line(request.id, request.method, request.url, reply.statusCode, reply.elapsedTime);
  }
}
