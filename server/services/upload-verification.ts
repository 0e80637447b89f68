import { type AppError, badInput, payloadTooLarge } from "../errors.js";
import { BlobChangedError, BlobNotFoundError, type BlobInfo, type BlobStore } from "../ports/blob-store.js";
import type { UploadTicketRecord } from "../ports/image-store.js";
import {
  ALLOWED_IMAGE_TYPES,
  INSPECTION_HEAD_BYTES,
  MAX_PIXELS,
  MAX_SIDE_PX,
  readDimensions,
  sniffImageType,
  withinDimensionLimits,
} from "./image-inspection.js";
import { formatBytes } from "../../client/units.js";

/** What the checked bytes are. */
export interface VerifiedUpload {
  contentType: string;
  /** Bytes. */
  size: number;
  /** Pixels. */
  width: number;
  height: number;
}

/**
 * Moves the upload to its final key, then checks the bytes there (SEC-11). Only the server writes final keys, so
 * the bytes checked are the bytes served, even if the client rewrites its upload URL at any moment; the move itself
 * also refuses an upload that changed since it was looked at. If a crash (or a concurrent complete) already moved
 * it, the object at the final key is checked like any other. A rejected object is deleted.
 */
export async function verifyAndPromote(
  blobs: BlobStore,
  ticket: UploadTicketRecord,
  finalKey: string,
): Promise<VerifiedUpload> {
  const uploaded = await blobs.stat(ticket.key);
  let promoted: BlobInfo | null = null;
  if (uploaded) {
    // Refuse what is too big before copying it.
    await checkSize(blobs, ticket, ticket.key, uploaded);
    try {
      await blobs.promote(ticket.key, finalKey, uploaded.version);
      // promote moved exactly the version just looked at, so what is at the final key is what `uploaded` says: a
      // second look would cost a file open (local) or a HEAD request (S3) on every completion.
      promoted = uploaded;
    } catch (error) {
      if (error instanceof BlobChangedError)
        throw badInput("The upload changed while it was being checked; upload it again.");
      // Moved meanwhile by a concurrent complete: check what arrived at the final key like any other.
      if (!(error instanceof BlobNotFoundError)) throw error;
    }
  }
  const nothingYet = () => badInput("Nothing has been uploaded for this ticket yet: send the bytes first.");
  promoted ??= await blobs.stat(finalKey);
  if (!promoted) throw nothingYet();
  return verifyObject(blobs, ticket, finalKey, promoted).catch((error: unknown) => {
    throw error instanceof BlobNotFoundError ? nothingYet() : error;
  });
}

/** Rejects (and deletes) an empty or oversized object. */
async function checkSize(blobs: BlobStore, ticket: UploadTicketRecord, key: string, info: BlobInfo): Promise<void> {
  if (info.size > 0 && info.size <= ticket.maxBytes) return;
  await blobs.delete(key);
  if (info.size === 0) throw badInput("The uploaded file is empty.");
  throw payloadTooLarge(`The upload is larger than the ${formatBytes(ticket.maxBytes)} this ticket allows.`);
}

async function verifyObject(
  blobs: BlobStore,
  ticket: UploadTicketRecord,
  key: string,
  info: BlobInfo,
): Promise<VerifiedUpload> {
  const reject = async (error: AppError): Promise<never> => {
    await blobs.delete(key);
    throw error;
  };
  await checkSize(blobs, ticket, key, info);

  let bytes = await blobs.readHead(key, Math.min(info.size, INSPECTION_HEAD_BYTES));
  const actualType = sniffImageType(bytes);
  if (!actualType) return reject(badInput(`The file is not an accepted image (${ALLOWED_IMAGE_TYPES.join(", ")}).`));
  if (actualType !== ticket.contentType) {
    return reject(badInput(`The file is ${actualType}, but the upload was requested as ${ticket.contentType}.`));
  }
  let dimensions = readDimensions(bytes);
  // Some JPEGs carry more metadata than the head holds before their frame header.
  if (!dimensions && bytes.length < info.size) {
    bytes = await blobs.readHead(key, info.size);
    dimensions = readDimensions(bytes);
  }
  if (!dimensions) return reject(badInput("The image is damaged: its dimensions cannot be read."));
  if (!withinDimensionLimits(dimensions)) {
    return reject(
      badInput(
        `The image is ${dimensions.width}×${dimensions.height}; at most ${MAX_SIDE_PX} px a side and ${MAX_PIXELS / 1e6} megapixels are accepted.`,
      ),
    );
  }
  return { contentType: actualType, size: info.size, ...dimensions };
}
