import { formatDuration } from "../../client/units.js";
import { AppError, ErrorCode } from "../errors.js";
import type { RateLimitStore } from "../ports/rate-limit-store.js";

/** SEC-3 abuse limits: attempts per window. Attempts are counted before the work, so concurrent ones cannot overshoot. */
export interface AbuseLimits {
  /** Failed logins per username per 15 minutes. */
  loginFailuresPerUsername: number;
  /** Failed logins per client IP per 15 minutes. */
  loginFailuresPerIp: number;
  /** Successful registrations (accounts created) per client IP per hour. */
  registrationsPerIp: number;
  /** Registration attempts per client IP per hour, failed or not: caps probing for taken names. */
  registrationAttemptsPerIp: number;
}

export interface RateRule {
  limit: number;
  windowMs: number;
}

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const REGISTRATION_WINDOW_MS = 60 * 60_000;

/**
 * Counts one attempt in each bucket; throws RATE_LIMITED, with the longest wait, if any is over its limit.
 * `explain` words the refusal around the wait ("48 minutes").
 */
export async function consumeAll(
  limits: RateLimitStore,
  buckets: [bucket: string, rule: RateRule][],
  explain: (wait: string) => string = (wait) => `Too many attempts. Please wait ${wait} and try again.`,
): Promise<void> {
  const results = await Promise.all(buckets.map(([bucket, rule]) => limits.consume(bucket, rule.limit, rule.windowMs)));
  const blocked = results.filter((r) => !r.allowed);
  if (blocked.length > 0) {
    const retryAfterSeconds = Math.ceil(Math.max(...blocked.map((r) => r.retryAfterMs)) / 1000);
    throw new AppError(ErrorCode.RATE_LIMITED, explain(formatDuration(retryAfterSeconds)), { retryAfterSeconds });
  }
}
