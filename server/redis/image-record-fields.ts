import type { ImageRecord, ImageVariantRecord, ProcessingRecord, Visibility } from "../ports/image-store.js";

/** An image record as a Redis hash and back: its fields, their encodings, and what old records lack. */

/** The image hash's fields (also what bench/seed.ts and test fixtures write, so they match this layout exactly). */
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

/** Pre-pipeline images were stored under `img/`, which is served as it is; the pipeline keeps uploads elsewhere. */
export function isLegacyKey(key: string): boolean {
  return key.startsWith("img/");
}

export function parseVariants(json: string | null | undefined): ImageVariantRecord[] {
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

/** Every field `toImage` reads, in the order READ_RECORD_AS_JSON (image-store-scripts.ts) returns their values. */
export const RECORD_FIELDS = [
  "id",
  "ownerId",
  "key",
  "filename",
  "contentType",
  "size",
  "width",
  "height",
  "createdAt",
  "visibility",
  "status",
  "pstatus",
  "failureReason",
  "placeholder",
  "publicKey",
  "publicSize",
  "variants",
] as const;

/** The record from READ_RECORD_AS_JSON's answer, or null when there is none. */
export function toImageFromJsonValues(json: string): ImageRecord | null {
  const values = JSON.parse(json) as (string | false)[];
  const h: Record<string, string> = {};
  RECORD_FIELDS.forEach((field, i) => {
    const value = values[i];
    if (typeof value === "string") h[field] = value;
  });
  return toImage(h);
}

export function toImage(h: Record<string, string>): ImageRecord | null {
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
export function toVisibility(value: string | null | undefined): Visibility {
  return value === "private" ? "private" : "public";
}
