import { Cluster, type Redis } from "ioredis";
import type {
  ImageChangeListener,
  ImageCursor,
  ImageRecord,
  ImageStore,
  ImageVariantRecord,
  ProcessedImage,
  ProcessingRecord,
  ServableImage,
  TicketLimits,
  TicketOpening,
  UploadTicketRecord,
  Visibility,
} from "../ports/image-store.js";
import { flatten, redisKeys } from "./keys.js";
import type { RedisConnection } from "./redis-client.js";
import { CREATE_HASH_IF_ABSENT, runScript } from "./scripts.js";
import { newestFirstPage } from "./newest-first-page.js";

/** Where changes to image records are announced (plain pub/sub: on Redis Cluster it reaches every node). */
const IMAGE_CHANGES_CHANNEL = "ih:changes:images";

/**
 * KEYS: tickets zset, ticket hash, usage hash. ARGV: now, maxOpen, uploadId, expiresAt, quotaImages, quotaBytes,
 * field/value pairs… Live tickets reserve one image and their maxBytes each (their hashes share the user's slot).
 * Returns 1 opened, 0 too many open, -1 image quota, -2 byte quota.
 */
const OPEN_TICKET = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local open = redis.call('ZRANGE', KEYS[1], 0, -1)
if #open >= tonumber(ARGV[2]) then return 0 end
local usage = redis.call('HMGET', KEYS[3], 'images', 'bytes')
if tonumber(usage[1] or '0') + #open + 1 > tonumber(ARGV[5]) then return -1 end
local prefix = string.sub(KEYS[2], 1, #KEYS[2] - #ARGV[3])
local reserved = 0
for _, id in ipairs(open) do
  reserved = reserved + tonumber(redis.call('HGET', prefix .. id, 'maxBytes') or '0')
end
local fields = {unpack(ARGV, 7)}
local wanted = 0
for i = 1, #fields, 2 do if fields[i] == 'maxBytes' then wanted = tonumber(fields[i + 1]) end end
if tonumber(usage[2] or '0') + reserved + wanted > tonumber(ARGV[6]) then return -2 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('PEXPIREAT', KEYS[2], ARGV[4])
return 1`;

const OPENINGS: Record<string, TicketOpening> = {
  "1": "opened",
  "0": "too-many-open",
  "-1": "image-quota",
  "-2": "byte-quota",
};

/** KEYS: images zset, usage hash, tickets zset, ticket hash. ARGV: createdAt, imageId, size. Counts once. */
const LIST_IMAGE = `
if redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'images', 1)
  redis.call('HINCRBY', KEYS[2], 'bytes', ARGV[3])
end
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[4])
return 1`;

/** KEYS: images zset, usage hash. ARGV: imageId, size. Uncounts once. */
const UNLIST_IMAGE = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'images', -1)
  redis.call('HINCRBY', KEYS[2], 'bytes', -tonumber(ARGV[2]))
end
return 1`;

/**
 * KEYS: image hash. ARGV: expected processing states (comma-separated, "-" = none), field/value pairs… Sets the
 * fields only on a live image in one of those states; returns 1 if it did.
 */
const SET_IF_PROCESSING_STATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local fields = redis.call('HMGET', KEYS[1], 'status', 'pstatus')
if fields[1] ~= 'live' then return 0 end
local state = fields[2] or '-'
if state == '' then state = '-' end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == state then allowed = true end end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1`;

export class RedisImageStore implements ImageStore {
  /** This process's watchers: told of its own changes at once, before the write's caller hears back. */
  private readonly localWatchers = new Set<ImageChangeListener>();

  constructor(private readonly redis: RedisConnection) {}

  async watchChanges(listener: ImageChangeListener): Promise<() => Promise<void>> {
    // Its own connection: a subscribed connection can run nothing else. Subscribing again on every (re)connect
    // ourselves, so "restored" is said only once the SUBSCRIBE has been answered.
    const own = { autoResubscribe: false, enableOfflineQueue: true } as const;
    const subscriber: RedisConnection =
      this.redis instanceof Cluster
        ? this.redis.duplicate(undefined, { redisOptions: { ...this.redis.options.redisOptions, ...own } })
        : this.redis.duplicate(own);
    subscriber.on("error", () => {});
    subscriber.on("message", (channel: string, imageId: string) => {
      if (channel === IMAGE_CHANGES_CHANNEL) listener.changed(imageId);
    });
    subscriber.on("close", () => listener.lost());
    const subscribed = new Promise<void>((resolve) => {
      subscriber.on("ready", () => {
        subscriber.subscribe(IMAGE_CHANGES_CHANNEL).then(
          () => {
            listener.restored();
            resolve();
          },
          () => subscriber.disconnect(true),
        );
      });
    });
    if (subscriber.status === "wait") await subscriber.connect();
    await subscribed;
    this.localWatchers.add(listener);
    return async () => {
      this.localWatchers.delete(listener);
      subscriber.removeAllListeners("close");
      listener.lost();
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }

  /**
   * Tells every node's watchers (see watchChanges) that this image's record changed: this process's at once (the
   * echo through Redis could arrive after the caller's next request), the others' through Redis.
   */
  private async announce(imageId: string): Promise<void> {
    for (const watcher of this.localWatchers) watcher.changed(imageId);
    await this.redis.publish(IMAGE_CHANGES_CHANNEL, imageId);
  }

  async openTicket(t: UploadTicketRecord, limits: TicketLimits): Promise<TicketOpening> {
    const fields = flatten({
      uploadId: t.uploadId,
      userId: t.userId,
      key: t.key,
      filename: t.filename,
      contentType: t.contentType,
      maxBytes: String(t.maxBytes),
      declaredBytes: t.declaredBytes === null ? "" : String(t.declaredBytes),
      visibility: t.visibility,
      createdAt: String(t.createdAt),
      expiresAt: String(t.expiresAt),
    });
    const opened = await runScript(
      this.redis,
      OPEN_TICKET,
      3,
      redisKeys.userTickets(t.userId),
      redisKeys.ticket(t.userId, t.uploadId),
      redisKeys.userUsage(t.userId),
      String(t.createdAt),
      String(limits.maxOpen),
      t.uploadId,
      String(t.expiresAt),
      String(limits.quotaImages),
      String(limits.quotaBytes),
      ...fields,
    );
    const opening = OPENINGS[String(opened)];
    if (opening === undefined) throw new Error(`Unexpected answer from the ticket script: ${String(opened)}`);
    return opening;
  }

  async findTicket(userId: string, uploadId: string): Promise<UploadTicketRecord | null> {
    const h = await this.redis.hgetall(redisKeys.ticket(userId, uploadId));
    if (!h.uploadId || h.userId !== userId) return null;
    return {
      uploadId: h.uploadId,
      userId: h.userId,
      key: h.key ?? "",
      filename: h.filename ?? "",
      contentType: h.contentType ?? "",
      maxBytes: Number(h.maxBytes),
      declaredBytes: h.declaredBytes ? Number(h.declaredBytes) : null,
      visibility: toVisibility(h.visibility),
      createdAt: Number(h.createdAt),
      expiresAt: Number(h.expiresAt),
    };
  }

  async claimCompletion(userId: string, uploadId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(redisKeys.completion(userId, uploadId), "1", "PX", ttlMs, "NX")) === "OK";
  }

  async releaseCompletion(userId: string, uploadId: string): Promise<void> {
    await this.redis.del(redisKeys.completion(userId, uploadId));
  }

  async createImage(image: ImageRecord): Promise<ImageRecord> {
    await runScript(this.redis, CREATE_HASH_IF_ABSENT, 1, redisKeys.image(image.id), ...flatten(imageFields(image)));
    await this.announce(image.id);
    const stored = await this.findImage(image.id);
    if (!stored) throw new Error(`image ${image.id} vanished while being recorded`);
    return stored;
  }

  async listImage(image: ImageRecord): Promise<void> {
    await runScript(
      this.redis,
      LIST_IMAGE,
      4,
      redisKeys.userImages(image.ownerId),
      redisKeys.userUsage(image.ownerId),
      redisKeys.userTickets(image.ownerId),
      redisKeys.ticket(image.ownerId, image.id),
      String(image.createdAt),
      image.id,
      String(image.size),
    );
  }

  async isListed(image: ImageRecord): Promise<boolean> {
    return (await this.redis.zscore(redisKeys.userImages(image.ownerId), image.id)) !== null;
  }

  async findImage(imageId: string): Promise<ImageRecord | null> {
    return toImage(await this.redis.hgetall(redisKeys.image(imageId)));
  }

  async findServable(imageId: string): Promise<ServableImage | null> {
    const [key, contentType, status, visibility, pstatus, publicKey, variants] = await this.redis.hmget(
      redisKeys.image(imageId),
      "key",
      "contentType",
      "status",
      "visibility",
      "pstatus",
      "publicKey",
      "variants",
    );
    if (!key || !contentType || status !== "live" || pstatus === "FAILED") return null;
    const base = { contentType, visibility: toVisibility(visibility), variants: [] };
    // Recorded before the pipeline: served as uploaded. One being backfilled keeps being served so until READY.
    if (!pstatus || (pstatus === "PROCESSING" && isLegacyKey(key))) return { ...base, state: "serve", key };
    if (pstatus === "PROCESSING" || !publicKey) return { ...base, state: "processing", key };
    const servedVariants = parseVariants(variants).map(({ name, key, contentType }) => ({ name, key, contentType }));
    return { ...base, state: "serve", key: publicKey, variants: servedVariants };
  }

  async setVisibility(imageId: string, visibility: Visibility): Promise<boolean> {
    const set = await runScript(
      this.redis,
      "if redis.call('HGET', KEYS[1], 'status') ~= 'live' then return 0 end redis.call('HSET', KEYS[1], 'visibility', ARGV[1]) return 1",
      1,
      redisKeys.image(imageId),
      visibility,
    );
    await this.announce(imageId);
    return set === 1;
  }

  async listImages(
    userId: string,
    first: number,
    after: ImageCursor | null,
  ): Promise<{ images: ImageRecord[]; hasMore: boolean }> {
    const { records, hasMore } = await newestFirstPage(
      this.redis,
      redisKeys.userImages(userId),
      first,
      after,
      (id) => this.findImage(id),
      (image) => image.status === "live" && image.ownerId === userId,
    );
    return { images: records, hasMore };
  }

  async usage(userId: string): Promise<{ images: number; bytes: number }> {
    const h = await this.redis.hgetall(redisKeys.userUsage(userId));
    return { images: Number(h.images ?? 0), bytes: Number(h.bytes ?? 0) };
  }

  async markReady(imageId: string, processed: ProcessedImage): Promise<ImageRecord | null> {
    await this.setIfState(imageId, ["PROCESSING"], {
      pstatus: "READY",
      failureReason: "",
      key: processed.originalKey,
      publicKey: processed.publicKey,
      publicSize: String(processed.publicSize),
      width: String(processed.width),
      height: String(processed.height),
      placeholder: processed.placeholder,
      variants: JSON.stringify(processed.variants),
    });
    return this.findImage(imageId);
  }

  async markFailed(imageId: string, reason: string): Promise<ImageRecord | null> {
    await this.setIfState(imageId, ["PROCESSING"], { pstatus: "FAILED", failureReason: reason });
    return this.findImage(imageId);
  }

  async markProcessing(imageId: string): Promise<ImageRecord | null> {
    await this.setIfState(imageId, ["-", "FAILED"], { pstatus: "PROCESSING", failureReason: "" });
    return this.findImage(imageId);
  }

  private async setIfState(imageId: string, states: string[], fields: Record<string, string>): Promise<void> {
    await runScript(
      this.redis,
      SET_IF_PROCESSING_STATE,
      1,
      redisKeys.image(imageId),
      states.join(","),
      ...flatten(fields),
    );
    await this.announce(imageId);
  }

  async markDeleting(imageId: string): Promise<void> {
    // HSET on a missing key would create a stub record; only mark what exists.
    await runScript(
      this.redis,
      "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'status', 'deleting') end return 1",
      1,
      redisKeys.image(imageId),
    );
    await this.announce(imageId);
  }

  async removeImage(image: ImageRecord): Promise<void> {
    await runScript(
      this.redis,
      UNLIST_IMAGE,
      2,
      redisKeys.userImages(image.ownerId),
      redisKeys.userUsage(image.ownerId),
      image.id,
      String(image.size),
    );
    await this.redis.del(redisKeys.image(image.id));
    await this.announce(image.id);
  }

  async scanImageIds(cursor: string | null, count: number): Promise<{ ids: string[]; cursor: string | null }> {
    // On Cluster every master holds a share of the records: walk them one after the other, in address order so
    // that a cursor's node index means the same node on every call.
    const nodes =
      this.redis instanceof Cluster
        ? this.redis.nodes("master").sort((a, b) => nodeName(a).localeCompare(nodeName(b)))
        : [this.redis];
    const [nodeText = "0", scanCursor = "0"] = (cursor ?? "0:0").split(":");
    const index = Number(nodeText);
    const node = nodes[index];
    if (!node) return { ids: [], cursor: null };
    const [next, keys] = await node.scan(scanCursor, "MATCH", IMAGE_KEY_PATTERN, "COUNT", count);
    // The pattern also matches an image's side keys (`…}:albums`): only the record itself ends at the tag.
    const ids = keys.flatMap((key) => IMAGE_KEY.exec(key)?.[1] ?? []);
    if (next !== "0") return { ids, cursor: `${index}:${next}` };
    return { ids, cursor: index + 1 < nodes.length ? `${index + 1}:0` : null };
  }

  async listAllImageIds(userId: string): Promise<string[]> {
    return this.redis.zrange(redisKeys.userImages(userId), "0", "-1");
  }

  async listAllTicketIds(userId: string): Promise<string[]> {
    return this.redis.zrange(redisKeys.userTickets(userId), "0", "-1");
  }

  async dropTicket(userId: string, uploadId: string): Promise<void> {
    await this.redis
      .multi()
      .del(redisKeys.ticket(userId, uploadId), redisKeys.completion(userId, uploadId))
      .zrem(redisKeys.userTickets(userId), uploadId)
      .exec();
  }

  async dropUserIndexes(userId: string): Promise<void> {
    await this.redis.del(redisKeys.userImages(userId), redisKeys.userTickets(userId), redisKeys.userUsage(userId));
  }
}

/** The image hash's fields. Exported for bench/seed.ts, which writes records in exactly this layout. */
export function imageFields(image: ImageRecord): Record<string, string> {
  const base = {
    id: image.id,
    ownerId: image.ownerId,
    key: image.key,
    filename: image.filename,
    contentType: image.contentType,
    size: String(image.size),
    width: String(image.width),
    height: String(image.height),
    createdAt: String(image.createdAt),
    visibility: image.visibility,
    status: image.status,
  } satisfies Record<Exclude<keyof ImageRecord, "processing">, string>;
  const p = image.processing;
  if (p === null) return base;
  return {
    ...base,
    pstatus: p.status,
    failureReason: p.failureReason ?? "",
    placeholder: p.placeholder ?? "",
    publicKey: p.publicKey ?? "",
    publicSize: p.publicSize === null ? "" : String(p.publicSize),
    variants: JSON.stringify(p.variants),
  };
}

/** Image records' keys (redisKeys.image): the pattern for SCAN, and the exact form with the id. */
const IMAGE_KEY_PATTERN = redisKeys.image("*");
const IMAGE_KEY = /^ih:img:\{([^}]+)\}$/;

function nodeName(node: Redis): string {
  return `${node.options.host ?? ""}:${node.options.port ?? ""}`;
}

/** Pre-pipeline images were stored under `img/`, which is served as it is; the pipeline keeps uploads elsewhere. */
function isLegacyKey(key: string): boolean {
  return key.startsWith("img/");
}

function parseVariants(json: string | null | undefined): ImageVariantRecord[] {
  if (!json) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? (parsed as ImageVariantRecord[]) : [];
  } catch {
    return [];
  }
}

function toProcessing(h: Record<string, string>): ProcessingRecord | null {
  const status = h.pstatus;
  if (status !== "PROCESSING" && status !== "READY" && status !== "FAILED") return null;
  return {
    status,
    failureReason: h.failureReason || null,
    placeholder: h.placeholder || null,
    publicKey: h.publicKey || null,
    publicSize: h.publicSize ? Number(h.publicSize) : null,
    variants: parseVariants(h.variants),
  };
}

function toImage(h: Record<string, string>): ImageRecord | null {
  if (!h.id || !h.ownerId || !h.key) return null;
  return {
    id: h.id,
    ownerId: h.ownerId,
    key: h.key,
    filename: h.filename ?? "",
    contentType: h.contentType ?? "",
    size: Number(h.size),
    width: Number(h.width),
    height: Number(h.height),
    createdAt: Number(h.createdAt),
    visibility: toVisibility(h.visibility),
    status: h.status === "deleting" ? "deleting" : "live",
    processing: toProcessing(h),
  };
}

/** Anything but an explicit "private" is public: records from before visibility existed have no field. */
function toVisibility(value: string | null | undefined): Visibility {
  return value === "private" ? "private" : "public";
}
