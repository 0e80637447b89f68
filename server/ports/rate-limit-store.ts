/**
 * Counters for abuse limits (SEC-3), shared by every node. Implemented by `server/redis/redis-rate-limit-store.ts`.
 */
export interface RateLimitStore {
  /**
   * Counts one attempt in `bucket`'s current window of `windowMs` milliseconds. `allowed` is false once more than
   * `limit` attempts were counted in the window; `retryAfterMs` says when the window ends.
   */
  consume(bucket: string, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterMs: number }>;
  /** Takes back one attempt (e.g. a login that turned out to succeed). */
  refund(bucket: string): Promise<void>;
  /** Forgets the bucket (e.g. a deleted user's login counter). */
  reset(bucket: string): Promise<void>;
}
