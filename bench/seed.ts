import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import type { Redis } from "ioredis";
import sharp from "sharp";
import type { ImageRecord } from "../server/ports/image-store.js";
import { redisKeys } from "../server/redis/keys.js";
import { imageFields } from "../server/redis/image-record-fields.js";
import { newId } from "../server/services/credentials.js";
import { legacyKeyFor } from "../server/services/image-keys.js";

/**
 * Seeding that bypasses the API, on purpose: 100,000 uploads through the API would take longer than the whole
 * benchmark, and what is measured (listing, redirecting) only reads what an upload leaves in Redis. The records
 * are written in exactly the layout of server/redis/keys.ts and server/redis/redis-image-store.ts (`createImage`
 * then `listImage`): the image hash, its member in the owner's zset scored by createdAt, the owner's usage
 * counters. The owner itself is always registered through the API. bench/run.ts checks the result through the
 * API (`myImages` must report the seeded count and the newest seeded id first).
 */

const PIPELINE_BATCH = 2000;

/**
 * Writes `count` live PNG image records owned by `ownerId`, the newest created at `newestAt` (ms) and each
 * older one 1 ms before it. Returns their ids, newest first. No bytes are stored: nothing measured reads them.
 */
export async function seedImages(redis: Redis, ownerId: string, count: number, newestAt: number): Promise<string[]> {
  const ids: string[] = [];
  const size = 262_144;
  for (let start = 0; start < count; start += PIPELINE_BATCH) {
    const pipeline = redis.pipeline();
    const members: (string | number)[] = [];
    for (let i = start; i < Math.min(count, start + PIPELINE_BATCH); i++) {
      const id = newId();
      const image: ImageRecord = {
        id,
        ownerId,
        key: legacyKeyFor(id),
        filename: `seeded-${i}.png`,
        contentType: "image/png",
        size,
        width: 296,
        height: 296,
        createdAt: newestAt - i,
        visibility: "public",
        status: "live",
        processing: null,
      };
      pipeline.hset(redisKeys.image(id), imageFields(image));
      members.push(image.createdAt, id);
      ids.push(id);
    }
    pipeline.zadd(redisKeys.userImages(ownerId), ...members);
    await execOrThrow(pipeline);
  }
  const usage = redis.pipeline();
  usage.hincrby(redisKeys.userUsage(ownerId), "images", count);
  usage.hincrby(redisKeys.userUsage(ownerId), "bytes", count * size);
  await execOrThrow(usage);
  return ids;
}

async function execOrThrow(pipeline: ReturnType<Redis["pipeline"]>): Promise<void> {
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([error]) => error !== null);
  if (failed) throw failed[0]!;
}

/**
 * A valid PNG of exactly `bytes` bytes: incompressible noise stored uncompressed, topped up with a tEXt chunk.
 * Noise, so nothing on the way (none today) could make the bytes path cheaper by compressing them.
 */
export async function pngOfExactSize(bytes: number): Promise<Buffer> {
  // Stored (level 0) PNG data costs a little over 3 bytes a pixel plus zlib and chunk framing.
  let side = Math.floor(Math.sqrt(bytes / 3.05));
  for (;;) {
    const png = await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const room = bytes - png.length - 12; // 12 = length, type and CRC of the filler chunk
    if (room >= 8) {
      const data = Buffer.concat([Buffer.from("Comment\0", "latin1"), Buffer.alloc(room - 8, 0x20)]);
      const chunk = Buffer.alloc(12 + data.length);
      chunk.writeUInt32BE(data.length, 0);
      chunk.write("tEXt", 4, "latin1");
      data.copy(chunk, 8);
      chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
      const iend = png.length - 12;
      const result = Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
      if (result.length !== bytes) throw new Error(`built a ${result.length}-byte PNG, wanted ${bytes}`);
      return result;
    }
    side -= 4;
  }
}
