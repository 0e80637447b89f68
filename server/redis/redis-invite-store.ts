import type { InviteRecord, InviteStore } from "../ports/invite-store.js";
import { flatten, redisKeys } from "./keys.js";
import type { RedisConnection } from "./redis-client.js";
import { runScript } from "./scripts.js";

/**
 * KEYS: invite. ARGV: claimant, now. One script on one key, so of concurrent registrations with one code exactly
 * one takes it, on a single Redis and on Redis Cluster alike.
 */
const CLAIM = `
local h = redis.call('HMGET', KEYS[1], 'id', 'usedBy', 'expiresAt')
if not h[1] then return 0 end
if h[2] and h[2] ~= '' then return 0 end
if tonumber(h[3]) <= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'usedBy', ARGV[1], 'usedAt', ARGV[2])
return 1`;

/** KEYS: invite. ARGV: claimant. */
const RELEASE = `
if redis.call('HGET', KEYS[1], 'usedBy') == ARGV[1] then redis.call('HSET', KEYS[1], 'usedBy', '', 'usedAt', '') end
return 1`;

/** KEYS: invite. ARGV: usedBy, usedAt. */
const CONFIRM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'usedBy', ARGV[1], 'usedAt', ARGV[2])
return 1`;

export class RedisInviteStore implements InviteStore {
  constructor(private readonly redis: RedisConnection) {}

  async createInvite(invite: InviteRecord): Promise<void> {
    await this.redis.hset(redisKeys.invites(), invite.id, invite.codeHash);
    await this.redis.hset(
      redisKeys.invite(invite.codeHash),
      ...flatten({
        id: invite.id,
        note: invite.note,
        createdBy: invite.createdBy,
        createdAt: String(invite.createdAt),
        expiresAt: String(invite.expiresAt),
        usedAt: invite.usedAt === null ? "" : String(invite.usedAt),
        usedBy: invite.usedBy ?? "",
      }),
    );
  }

  async listInvites(): Promise<InviteRecord[]> {
    const index = await this.redis.hgetall(redisKeys.invites());
    // One read per invite: each lives in its own hash slot.
    const records = await Promise.all(Object.values(index).map((hash) => this.findByHash(hash)));
    return records
      .filter((r): r is InviteRecord => r !== null)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async findInvite(inviteId: string): Promise<InviteRecord | null> {
    const hash = await this.redis.hget(redisKeys.invites(), inviteId);
    if (!hash) return null;
    const record = await this.findByHash(hash);
    return record && record.id === inviteId ? record : null;
  }

  async claimInvite(codeHash: string, claimant: string, now: number): Promise<InviteRecord | null> {
    const claimed = await runScript(this.redis, CLAIM, 1, redisKeys.invite(codeHash), claimant, String(now));
    return claimed === 1 ? this.findByHash(codeHash) : null;
  }

  async releaseInvite(codeHash: string, claimant: string): Promise<void> {
    await runScript(this.redis, RELEASE, 1, redisKeys.invite(codeHash), claimant);
  }

  async confirmInvite(codeHash: string, usedBy: string, usedAt: number): Promise<void> {
    await runScript(this.redis, CONFIRM, 1, redisKeys.invite(codeHash), usedBy, String(usedAt));
  }

  async deleteInvite(invite: Pick<InviteRecord, "id" | "codeHash">): Promise<void> {
    await this.redis.del(redisKeys.invite(invite.codeHash));
    await this.redis.hdel(redisKeys.invites(), invite.id);
  }

  private async findByHash(codeHash: string): Promise<InviteRecord | null> {
    const h = await this.redis.hgetall(redisKeys.invite(codeHash));
    if (!h.id) return null;
    return {
      id: h.id,
      codeHash,
      note: h.note ?? "",
      createdBy: h.createdBy ?? "",
      createdAt: Number(h.createdAt),
      expiresAt: Number(h.expiresAt),
      usedAt: h.usedAt ? Number(h.usedAt) : null,
      usedBy: h.usedBy ? h.usedBy : null,
    };
  }
}
