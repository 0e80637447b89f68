import { Cluster, type Redis } from "ioredis";
import type {
  ImageChangeListener,
  ImageCursor,
  ImageRecord,
  ImageStore,
  ProcessedImage,
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
import {
  imageFields,
  isLegacyKey,
  parseVariants,
  toImage,
  toImageFromJsonValues,
  toVisibility,
} from "./image-record-fields.js";
import {
  DELETE_RECORD,
  LIST_IMAGE,
  MARK_DELETING_IF_EXISTS,
  OPEN_TICKET,
  OPENINGS,
  READ_RECORD_AS_JSON,
  SET_IF_PROCESSING_STATE,
  SET_VISIBILITY_IF_LIVE,
  UNLIST_IMAGE,
} from "./image-store-scripts.js";
import { RedisImageChanges, announcingChange } from "./redis-image-changes.js";

// The writes to an image record, each announcing its change within its own script (see announcingChange).
const CREATE_IMAGE = announcingChange(CREATE_HASH_IF_ABSENT);
const SET_VISIBILITY = announcingChange(SET_VISIBILITY_IF_LIVE);
const SET_PROCESSING_STATE = announcingChange(SET_IF_PROCESSING_STATE);
const MARK_DELETING = announcingChange(MARK_DELETING_IF_EXISTS);
const REMOVE_RECORD = announcingChange(DELETE_RECORD);

/**
 * The ImageStore port on Redis: upload tickets, image records and each user's list and usage. The Lua scripts are in
 * image-store-scripts.ts, the record's hash layout in image-record-fields.ts, and the change feed every write
 * announces to in redis-image-changes.ts.
 */
export class RedisImageStore implements ImageStore {
  private readonly changes: RedisImageChanges;

  constructor(private readonly redis: RedisConnection) {
    this.changes = new RedisImageChanges(redis);
  }

  watchChanges(listener: ImageChangeListener): Promise<() => Promise<void>> {
    return this.changes.watch(listener);
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
    await this.writeRecord(CREATE_IMAGE, image.id, ...flatten(imageFields(image)));
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
    return (await this.writeRecord(SET_VISIBILITY, imageId, visibility)) === 1;
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
      // One EVALSHA per record, sent together by auto-pipelining: one round trip per page (per node on Cluster).
      async (id) =>
        toImageFromJsonValues((await runScript(this.redis, READ_RECORD_AS_JSON, 1, redisKeys.image(id))) as string),
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
    await this.writeRecord(SET_PROCESSING_STATE, imageId, states.join(","), ...flatten(fields));
  }

  async markDeleting(imageId: string): Promise<void> {
    await this.writeRecord(MARK_DELETING, imageId);
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
    await this.writeRecord(REMOVE_RECORD, image.id);
  }

  /**
   * Runs one of the record-writing scripts (CREATE_IMAGE to REMOVE_RECORD, each announcing its change itself) on the
   * image's hash, then tells this process's watchers, before the caller hears back.
   */
  private async writeRecord(script: string, imageId: string, ...args: string[]): Promise<unknown> {
    const answer = await runScript(this.redis, script, 1, redisKeys.image(imageId), ...args);
    this.changes.tellWatchersHere(imageId);
    return answer;
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

/** Image records' keys (redisKeys.image): the pattern for SCAN, and the exact form with the id. */
const IMAGE_KEY_PATTERN = redisKeys.image("*");
const IMAGE_KEY = /^ih:img:\{([^}]+)\}$/;

function nodeName(node: Redis): string {
  return `${node.options.host ?? ""}:${node.options.port ?? ""}`;
}
