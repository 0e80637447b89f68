import type { UserCursor, UserDirectory, UserProfile } from "../ports/user-directory.js";
import { flatten, redisKeys } from "./keys.js";
import type { RedisConnection } from "./redis-client.js";
import { runScript } from "./scripts.js";

/** KEYS: profile. ARGV: field, value. Sets a field of an existing profile only (never makes a stub). */
const SET_IF_PRESENT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** Index entries read per round while filling a (searched) page. */
const LIST_BATCH = 100;

export class RedisUserDirectory implements UserDirectory {
  constructor(private readonly redis: RedisConnection) {}

  async saveProfile(p: UserProfile): Promise<void> {
    await this.redis.zadd(redisKeys.users(), p.createdAt, p.userId);
    await this.redis.hset(
      redisKeys.userProfile(p.userId),
      ...flatten({
        userId: p.userId,
        username: p.username,
        usernameKey: p.usernameKey,
        createdAt: String(p.createdAt),
        lastSeenAt: p.lastSeenAt === null ? "" : String(p.lastSeenAt),
        disabled: p.disabled ? "1" : "0",
        deleting: p.deleting ? "1" : "0",
      }),
    );
  }

  async findProfile(userId: string): Promise<UserProfile | null> {
    return toProfile(await this.redis.hgetall(redisKeys.userProfile(userId)));
  }

  async isBlocked(userId: string): Promise<boolean> {
    // Two slots, read in parallel. The pending mark outlives the profile, so a half-deleted user stays blocked.
    const [[disabled, deleting], pending] = await Promise.all([
      this.redis.hmget(redisKeys.userProfile(userId), "disabled", "deleting"),
      this.redis.hexists(redisKeys.deletingUsers(), userId),
    ]);
    return disabled === "1" || deleting === "1" || pending === 1;
  }

  async setDisabled(userId: string, disabled: boolean): Promise<boolean> {
    const set = await runScript(
      this.redis,
      SET_IF_PRESENT,
      1,
      redisKeys.userProfile(userId),
      "disabled",
      disabled ? "1" : "0",
    );
    return set === 1;
  }

  async recordSeen(userId: string, at: number): Promise<void> {
    await runScript(this.redis, SET_IF_PRESENT, 1, redisKeys.userProfile(userId), "lastSeenAt", String(at));
  }

  async listProfiles(
    first: number,
    after: UserCursor | null,
    search: string | null,
  ): Promise<{ profiles: UserProfile[]; hasMore: boolean }> {
    const found: UserProfile[] = [];
    let offset = 0;
    while (found.length <= first) {
      const batch = await this.redis.zrevrangebyscore(
        redisKeys.users(),
        after ? after.createdAt : "+inf",
        "-inf",
        "WITHSCORES",
        "LIMIT",
        offset,
        LIST_BATCH,
      );
      const entries: { userId: string; createdAt: number }[] = [];
      for (let i = 0; i < batch.length; i += 2) entries.push({ userId: batch[i]!, createdAt: Number(batch[i + 1]) });
      offset += entries.length;
      // Ties on createdAt come back in descending id order; those not below the cursor's id were on earlier pages.
      const candidates = entries.filter((e) => !after || e.createdAt < after.createdAt || e.userId < after.userId);
      const profiles = await Promise.all(candidates.map((e) => this.findProfile(e.userId)));
      for (const profile of profiles) {
        if (!profile || profile.deleting) continue;
        if (search !== null && !profile.usernameKey.includes(search)) continue;
        found.push(profile);
      }
      if (entries.length < LIST_BATCH) break;
    }
    return { profiles: found.slice(0, first), hasMore: found.length > first };
  }

  async allUserIds(): Promise<string[]> {
    return this.redis.zrange(redisKeys.users(), "0", "-1");
  }

  async markDeleting(userId: string, usernameKey: string): Promise<void> {
    await this.redis.hset(redisKeys.deletingUsers(), userId, usernameKey);
    await runScript(
      this.redis,
      "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'deleting', '1') end return 1",
      1,
      redisKeys.userProfile(userId),
    );
  }

  async pendingDeletions(): Promise<{ userId: string; usernameKey: string }[]> {
    const pending = await this.redis.hgetall(redisKeys.deletingUsers());
    return Object.entries(pending).map(([userId, usernameKey]) => ({ userId, usernameKey }));
  }

  async removeProfile(userId: string): Promise<void> {
    await this.redis.zrem(redisKeys.users(), userId);
    await this.redis.del(redisKeys.userProfile(userId));
  }

  async clearPending(userId: string): Promise<void> {
    await this.redis.hdel(redisKeys.deletingUsers(), userId);
  }
}

function toProfile(h: Record<string, string>): UserProfile | null {
  if (!h.userId || !h.usernameKey) return null;
  return {
    userId: h.userId,
    username: h.username ?? h.usernameKey,
    usernameKey: h.usernameKey,
    createdAt: Number(h.createdAt),
    lastSeenAt: h.lastSeenAt ? Number(h.lastSeenAt) : null,
    disabled: h.disabled === "1",
    deleting: h.deleting === "1",
  };
}
