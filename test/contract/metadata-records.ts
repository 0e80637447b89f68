import type { ImageRecord, UploadTicketRecord } from "../../server/ports/image-store.js";
import { newId } from "../../server/services/credentials.js";

// Records for the metadata-store contract suites, with fresh ids; `extra` overrides any field.

/** Limits with only `maxOpen` tickets in play (quotas out of reach). */
export const atMost = (maxOpen: number) => ({ maxOpen, quotaImages: 1e9, quotaBytes: 2 ** 50 });
export const ticket = (userId: string, extra: Partial<UploadTicketRecord> = {}): UploadTicketRecord => {
  const uploadId = newId();
  return {
    uploadId,
    userId,
    key: `img/${uploadId}`,
    filename: "a.png",
    contentType: "image/png",
    maxBytes: 100,
    declaredBytes: 100,
    visibility: "public",
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    ...extra,
  };
};
export const image = (ownerId: string, extra: Partial<ImageRecord> = {}): ImageRecord => {
  const id = newId();
  return {
    id,
    ownerId,
    key: `img/${id}`,
    filename: "a.png",
    contentType: "image/png",
    size: 100,
    width: 2,
    height: 3,
    createdAt: Date.now(),
    visibility: "public",
    status: "live",
    processing: null,
    ...extra,
  };
};
