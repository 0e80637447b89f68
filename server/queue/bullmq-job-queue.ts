import { type Job, Queue, Worker } from "bullmq";
import { Cluster, Redis } from "ioredis";
import type { Config } from "../config.js";
import type { JobHandler, JobQueue, JobWorker } from "../ports/job-queue.js";

/**
 * BullMQ's key prefix. The braces are a Redis Cluster hash tag: all of a queue's keys live in one slot, which its
 * multi-key scripts need (without it `add` fails with CROSSSLOT).
 */
export const QUEUE_PREFIX = "{imgq}";

/** Attempts per job, and the first retry delay (ms; doubled per attempt). */
const ATTEMPTS = 3;
const BACKOFF_MS = 500;
/**
 * A job's lock, ms: renewed every half of it while the worker lives. A killed worker's job is handed to another
 * worker once the lock has run out and a stalled check (every STALLED_CHECK_MS) sees it. Short, because jobs are
 * idempotent: running one twice after a slow renewal costs time, not correctness.
 */
const LOCK_MS = 5_000;
const STALLED_CHECK_MS = 5_000;
/** A job that stalls this often (its worker keeps dying on it) fails instead of killing more workers. */
const MAX_STALLED = 2;

interface JobData {
  imageId: string;
}

/** Image jobs in BullMQ on the Redis the metadata lives in (single node or Cluster). */
export class BullMqJobQueue implements JobQueue {
  private readonly producer: Redis | Cluster;
  private readonly queue: Queue<JobData>;

  constructor(
    private readonly redis: Config["redis"],
    private readonly queueName: string,
  ) {
    // Request path (S14): enqueueing from completeUpload fails within about 2 s instead of hanging.
    this.producer = connect(redis, { commandTimeout: 2000, maxRetriesPerRequest: 1 });
    this.queue = new Queue<JobData>(queueName, {
      connection: this.producer,
      prefix: QUEUE_PREFIX,
      defaultJobOptions: {
        attempts: ATTEMPTS,
        backoff: { type: "exponential", delay: BACKOFF_MS },
        // The outcome lives in the image record; finished jobs are dropped so an image can be queued again.
        removeOnComplete: true,
        removeOnFail: true,
      },
    });
    this.queue.on("error", () => {});
  }

  async enqueue(imageId: string): Promise<void> {
    // One job id per image: adding it again while it waits or runs is a no-op.
    await this.queue.add("process", { imageId }, { jobId: jobIdFor(imageId) });
  }

  async startWorker(handler: JobHandler, options: { concurrency: number }): Promise<JobWorker> {
    // Workers block on Redis; BullMQ requires them to retry forever rather than give up on a command.
    const connection = connect(this.redis, { maxRetriesPerRequest: null });
    const worker = new Worker<JobData>(
      this.queueName,
      async (job: Job<JobData>) => {
        const number = job.attemptsMade + 1;
        await handler(job.data.imageId, { number, final: number >= (job.opts.attempts ?? 1) });
      },
      {
        connection,
        prefix: QUEUE_PREFIX,
        concurrency: options.concurrency,
        lockDuration: LOCK_MS,
        stalledInterval: STALLED_CHECK_MS,
        maxStalledCount: MAX_STALLED,
      },
    );
    // Connection trouble is retried by BullMQ itself; without a listener it would be an unhandled 'error' event.
    worker.on("error", () => {});
    await worker.waitUntilReady();
    return {
      async close(graceMs = 10_000) {
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<void>((resolve) => {
          timer = setTimeout(() => resolve(worker.close(true)), graceMs);
        });
        try {
          await Promise.race([worker.close(), forced]);
        } finally {
          clearTimeout(timer);
          await connection.quit().catch(() => connection.disconnect());
        }
      },
    };
  }

  async pendingCount(): Promise<number> {
    const counts = await this.queue.getJobCounts("waiting", "active", "delayed", "prioritized");
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  }

  async checkReady(): Promise<void> {
    await this.producer.ping();
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    await this.producer.quit().catch(() => this.producer.disconnect());
  }
}

/** Job ids are the image id, prefixed so that BullMQ never reads one as a number. */
function jobIdFor(imageId: string): string {
  return `img-${imageId}`;
}

function connect(
  redis: Config["redis"],
  options: { commandTimeout?: number; maxRetriesPerRequest: number | null },
): Redis | Cluster {
  const retryStrategy = (attempt: number) => Math.min(100 * attempt, 1000);
  const perNode = { connectTimeout: 2000, ...options };
  const connection =
    redis.mode === "cluster"
      ? new Cluster([...redis.nodes], { clusterRetryStrategy: retryStrategy, redisOptions: perNode })
      : new Redis(redis.url, { ...perNode, retryStrategy });
  connection.on("error", () => {});
  return connection;
}
