import type { RateLimitStore } from "../ports/rate-limit-store.js";
import { redisKeys } from "./keys.js";
import type { RedisConnection } from "./redis-client.js";
import { runScript } from "./scripts.js";

/** Fixed window: the first attempt starts the window's clock. KEYS: counter. ARGV: windowMs. → {count, pttl}. */
const CONSUME = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

/** Only while the window lives, and never below zero. */
const REFUND = `
if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then redis.call('DECR', KEYS[1]) end
return 1`;

export class RedisRateLimitStore implements RateLimitStore {
  constructor(private readonly redis: RedisConnection) {}

  async consume(bucket: string, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const [count, ttl] = (await runScript(this.redis, CONSUME, 1, redisKeys.rateLimit(bucket), String(windowMs))) as [
      number,
      number,
    ];
    return { allowed: count <= limit, retryAfterMs: ttl };
  }

  async refund(bucket: string): Promise<void> {
    await runScript(this.redis, REFUND, 1, redisKeys.rateLimit(bucket));
  }

  async reset(bucket: string): Promise<void> {
    await this.redis.del(redisKeys.rateLimit(bucket));
  }
}
