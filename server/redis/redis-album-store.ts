import type { AlbumChanges, AlbumCursor, AlbumRecord, AlbumStore } from "../ports/album-store.js";
import type { Visibility } from "../ports/image-store.js";
import { flatten, redisKeys } from "./keys.js";
import type { RedisConnection } from "./redis-client.js";
import { runScript } from "./scripts.js";
import { newestFirstPage } from "./newest-first-page.js";

/** KEYS: album images zset. ARGV: maxSize, ids… Appends the absent ids after the last position, all or nothing. */
const ADD_IMAGES = `
local new = {}
local seen = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if not seen[id] and not redis.call('ZSCORE', KEYS[1], id) then table.insert(new, id) end
  seen[id] = true
end
if redis.call('ZCARD', KEYS[1]) + #new > tonumber(ARGV[1]) then return 0 end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local position = last[2] and tonumber(last[2]) or 0
for _, id in ipairs(new) do
  position = position + 1
  redis.call('ZADD', KEYS[1], position, id)
end
return 1`;

/** KEYS: album images zset. ARGV: ids in the new order; must be exactly the members. */
const REORDER = `
if redis.call('ZCARD', KEYS[1]) ~= #ARGV then return 0 end
for i = 1, #ARGV do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then return 0 end
end
for i = 1, #ARGV do redis.call('ZADD', KEYS[1], i, ARGV[i]) end
return 1`;

/** KEYS: album hash. ARGV: field/value pairs; an empty value deletes the field. Only changes an existing album. */
const UPDATE_ALBUM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1`;

export class RedisAlbumStore implements AlbumStore {
  constructor(private readonly redis: RedisConnection) {}

  async createAlbum(album: AlbumRecord): Promise<void> {
    await this.redis.hset(redisKeys.album(album.id), albumFields(album));
    await this.redis.zadd(redisKeys.userAlbums(album.ownerId), album.createdAt, album.id);
  }

  async findAlbum(albumId: string): Promise<AlbumRecord | null> {
    return toAlbum(await this.redis.hgetall(redisKeys.album(albumId)));
  }

  async updateAlbum(albumId: string, changes: AlbumChanges): Promise<boolean> {
    const fields: Record<string, string> = {};
    if (changes.title !== undefined) fields.title = changes.title;
    if (changes.description !== undefined) fields.description = changes.description ?? "";
    if (changes.visibility !== undefined) fields.visibility = changes.visibility;
    const updated = await runScript(this.redis, UPDATE_ALBUM, 1, redisKeys.album(albumId), ...flatten(fields));
    return updated === 1;
  }

  async listAlbums(
    ownerId: string,
    first: number,
    after: AlbumCursor | null,
  ): Promise<{ albums: AlbumRecord[]; hasMore: boolean }> {
    const { records, hasMore } = await newestFirstPage(
      this.redis,
      redisKeys.userAlbums(ownerId),
      first,
      after,
      (id) => this.findAlbum(id),
      (album) => album.ownerId === ownerId,
    );
    return { albums: records, hasMore };
  }

  async countAlbums(ownerId: string): Promise<number> {
    return this.redis.zcard(redisKeys.userAlbums(ownerId));
  }

  async albumIdsOf(ownerId: string): Promise<string[]> {
    return this.redis.zrange(redisKeys.userAlbums(ownerId), "0", "-1");
  }

  async deleteAlbum(album: AlbumRecord): Promise<void> {
    const imageIds = await this.redis.zrange(redisKeys.albumImages(album.id), "0", "-1");
    await this.redis.del(redisKeys.album(album.id), redisKeys.albumImages(album.id));
    await this.redis.zrem(redisKeys.userAlbums(album.ownerId), album.id);
    await Promise.all(imageIds.map((imageId) => this.redis.srem(redisKeys.imageAlbums(imageId), album.id)));
  }

  async addImages(albumId: string, imageIds: string[], maxSize: number): Promise<boolean> {
    // The images' index first: a crash before the album changes leaves an entry that forgetImage ignores.
    await Promise.all(imageIds.map((imageId) => this.redis.sadd(redisKeys.imageAlbums(imageId), albumId)));
    const added = await runScript(
      this.redis,
      ADD_IMAGES,
      1,
      redisKeys.albumImages(albumId),
      String(maxSize),
      ...imageIds,
    );
    if (added === 1) return true;
    // Refused at the limit: take back the index entries of the images that are not in the album.
    const scores = await Promise.all(imageIds.map((id) => this.redis.zscore(redisKeys.albumImages(albumId), id)));
    await Promise.all(
      imageIds.map((id, i) => (scores[i] === null ? this.redis.srem(redisKeys.imageAlbums(id), albumId) : null)),
    );
    return false;
  }

  async removeImages(albumId: string, imageIds: string[]): Promise<void> {
    if (imageIds.length === 0) return;
    await this.redis.zrem(redisKeys.albumImages(albumId), ...imageIds);
    await Promise.all(imageIds.map((imageId) => this.redis.srem(redisKeys.imageAlbums(imageId), albumId)));
  }

  async reorder(albumId: string, imageIds: string[]): Promise<boolean> {
    return (await runScript(this.redis, REORDER, 1, redisKeys.albumImages(albumId), ...imageIds)) === 1;
  }

  async listAlbumImages(
    albumId: string,
    first: number,
    after: number | null,
  ): Promise<{ entries: { imageId: string; position: number }[]; hasMore: boolean }> {
    const flat = await this.redis.zrangebyscore(
      redisKeys.albumImages(albumId),
      after === null ? "-inf" : `(${after}`,
      "+inf",
      "WITHSCORES",
      "LIMIT",
      0,
      first + 1,
    );
    const entries: { imageId: string; position: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) entries.push({ imageId: flat[i]!, position: Number(flat[i + 1]) });
    return { entries: entries.slice(0, first), hasMore: entries.length > first };
  }

  async albumSize(albumId: string): Promise<number> {
    return this.redis.zcard(redisKeys.albumImages(albumId));
  }

  async forgetImage(imageId: string): Promise<void> {
    const albumIds = await this.redis.smembers(redisKeys.imageAlbums(imageId));
    await Promise.all(albumIds.map((albumId) => this.redis.zrem(redisKeys.albumImages(albumId), imageId)));
    await this.redis.del(redisKeys.imageAlbums(imageId));
  }
}

function albumFields(album: AlbumRecord): Record<string, string> {
  const fields: Record<string, string> = {
    id: album.id,
    ownerId: album.ownerId,
    title: album.title,
    visibility: album.visibility,
    createdAt: String(album.createdAt),
  };
  if (album.description !== null) fields.description = album.description;
  return fields;
}

function toAlbum(h: Record<string, string>): AlbumRecord | null {
  if (!h.id || !h.ownerId) return null;
  return {
    id: h.id,
    ownerId: h.ownerId,
    title: h.title ?? "",
    description: h.description ?? null,
    visibility: (h.visibility === "public" ? "public" : "private") satisfies Visibility,
    createdAt: Number(h.createdAt),
  };
}
