/**
 * The job-queue port: image-processing jobs shared by every node. Implemented by
 * `server/queue/bullmq-job-queue.ts`. Jobs are keyed by image id: queueing an image that is already waiting or
 * running adds nothing, and handlers must be idempotent (a job may run more than once, e.g. after a worker is
 * killed mid-job). Adapters throw `DependencyUnavailableError("redis")` when the queue cannot be reached.
 */
export interface JobQueue {
  /** Queues processing of `imageId`, unless a job for it is already waiting or running. */
  enqueue(imageId: string): Promise<void>;

  /**
   * Starts taking jobs: up to `concurrency` at once in this process. A handler that throws is retried with
   * exponential backoff; on its last attempt `attempt.final` is true, and what it throws then is final.
   */
  startWorker(handler: JobHandler, options: { concurrency: number }): Promise<JobWorker>;

  /** Jobs waiting or running (for progress reports and benchmarks). */
  pendingCount(): Promise<number>;

  /** Resolves when the queue's Redis answers; throws DependencyUnavailableError. */
  checkReady(): Promise<void>;

  /** Closes the producer connection (workers are closed by their own `close`). */
  close(): Promise<void>;
}

export type JobHandler = (imageId: string, attempt: { number: number; final: boolean }) => Promise<void>;

export interface JobWorker {
  /** Stops taking jobs and waits (bounded by `graceMs`, milliseconds) for running ones; then closes. */
  close(graceMs?: number): Promise<void>;
}
