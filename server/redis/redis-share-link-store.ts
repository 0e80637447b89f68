import type { ShareLinkRecord, ShareLinkStore, ShareTarget } from "../ports/share-link-store.js";
import { flatten, redisKeys } from "./keys.js";
import type { RedisConnection } from "./redis-client.js";
import { runScript } from "./scripts.js";

/**
 * KEYS: the link hash. ARGV: now. One script, so checking and counting are one step: concurrent requests on any
 * number of nodes cannot together pass maxViews. Returns 1 (counted), 0 (gone) or -1 (no such link).
 */
const CONSUME_VIEW = `
local h = redis.call('HMGET', KEYS[1], 'id', 'revokedAt', 'expiresAt', 'maxViews', 'views')
if not h[1] then return -1 end
if h[2] and h[2] ~= '' then return 0 end
if h[3] and h[3] ~= '' and tonumber(h[3]) <= tonumber(ARGV[1]) then return 0 end
if h[4] and h[4] ~= '' and tonumber(h[5] or '0') >= tonumber(h[4]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'views', 1)
return 1`;

/** KEYS: the link hash. ARGV: at. */
const REVOKE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'revokedAt') or '') == '' then redis.call('HSET', KEYS[1], 'revokedAt', ARGV[1]) end
return 1`;

export class RedisShareLinkStore implements ShareLinkStore {
  constructor(private readonly redis: RedisConnection) {}

  async createLink(link: ShareLinkRecord): Promise<void> {
    await this.redis.hset(redisKeys.shareLink(link.tokenHash), linkFields(link));
    // The owner's indexes share one slot; a crash before them leaves a working link its owner cannot list.
    await this.redis.hset(redisKeys.userShareLinks(link.ownerId), link.id, link.tokenHash);
    await this.redis.zadd(targetKey(link.ownerId, link.target), link.createdAt, link.id);
  }

  async findByTokenHash(tokenHash: string): Promise<ShareLinkRecord | null> {
    return toLink(await this.redis.hgetall(redisKeys.shareLink(tokenHash)), tokenHash);
  }

  async findById(ownerId: string, linkId: string): Promise<ShareLinkRecord | null> {
    const tokenHash = await this.redis.hget(redisKeys.userShareLinks(ownerId), linkId);
    const link = tokenHash ? await this.findByTokenHash(tokenHash) : null;
    return link && link.ownerId === ownerId && link.id === linkId ? link : null;
  }

  async listForTarget(ownerId: string, target: ShareTarget): Promise<ShareLinkRecord[]> {
    const ids = await this.redis.zrevrange(targetKey(ownerId, target), "0", "-1");
    const links = await Promise.all(ids.map((id) => this.findById(ownerId, id)));
    return links.filter((l): l is ShareLinkRecord => l !== null);
  }

  async countLinks(ownerId: string): Promise<number> {
    return this.redis.hlen(redisKeys.userShareLinks(ownerId));
  }

  async revoke(tokenHash: string, at: number): Promise<boolean> {
    return (await runScript(this.redis, REVOKE, 1, redisKeys.shareLink(tokenHash), String(at))) === 1;
  }

  async consumeView(
    tokenHash: string,
    now: number,
  ): Promise<{ outcome: "counted"; link: ShareLinkRecord } | { outcome: "gone" | "unknown" }> {
    const result = await runScript(this.redis, CONSUME_VIEW, 1, redisKeys.shareLink(tokenHash), String(now));
    if (result === -1) return { outcome: "unknown" };
    if (result !== 1) return { outcome: "gone" };
    const link = await this.findByTokenHash(tokenHash);
    return link ? { outcome: "counted", link } : { outcome: "unknown" };
  }

  async deleteAllOf(ownerId: string): Promise<void> {
    const byId = await this.redis.hgetall(redisKeys.userShareLinks(ownerId));
    for (const [linkId, tokenHash] of Object.entries(byId)) {
      const link = await this.findByTokenHash(tokenHash);
      await this.redis.del(redisKeys.shareLink(tokenHash));
      if (link) await this.redis.zrem(targetKey(ownerId, link.target), linkId);
      await this.redis.hdel(redisKeys.userShareLinks(ownerId), linkId);
    }
  }
}

const targetKey = (ownerId: string, target: ShareTarget) => redisKeys.targetShareLinks(ownerId, target.kind, target.id);

function linkFields(link: ShareLinkRecord): string[] {
  return flatten({
    id: link.id,
    ownerId: link.ownerId,
    targetKind: link.target.kind,
    targetId: link.target.id,
    note: link.note ?? "",
    expiresAt: link.expiresAt === null ? "" : String(link.expiresAt),
    maxViews: link.maxViews === null ? "" : String(link.maxViews),
    views: String(link.views),
    createdAt: String(link.createdAt),
    revokedAt: link.revokedAt === null ? "" : String(link.revokedAt),
  });
}

function toLink(h: Record<string, string>, tokenHash: string): ShareLinkRecord | null {
  if (!h.id || !h.ownerId || !h.targetId) return null;
  const numberOrNull = (v: string | undefined) => (v ? Number(v) : null);
  return {
    id: h.id,
    ownerId: h.ownerId,
    tokenHash,
    target: { kind: h.targetKind === "album" ? "album" : "image", id: h.targetId },
    note: h.note || null,
    expiresAt: numberOrNull(h.expiresAt),
    maxViews: numberOrNull(h.maxViews),
    views: Number(h.views ?? 0),
    createdAt: Number(h.createdAt),
    revokedAt: numberOrNull(h.revokedAt),
  };
}
