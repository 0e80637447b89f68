import { imageSize } from "image-size";

/** SEC-10: the only types we accept, whatever a client says. Never SVG, HTML or anything else. */
export const ALLOWED_IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"] as const;
export type AllowedImageType = (typeof ALLOWED_IMAGE_TYPES)[number];

export function isAllowedImageType(value: string): value is AllowedImageType {
  return (ALLOWED_IMAGE_TYPES as readonly string[]).includes(value);
}

/** SEC-11: each side at most 16,384 px, and at most 40 megapixels. */
export const MAX_SIDE_PX = 16_384;
export const MAX_PIXELS = 40_000_000;

/** Enough of the file for magic bytes and, for almost every real image, the dimensions. */
export const INSPECTION_HEAD_BYTES = 512 * 1024;

/** The type the bytes really are, from their magic numbers, or null for anything we do not accept. */
export function sniffImageType(head: Buffer): AllowedImageType | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return "image/png";
  const ascii = (start: number, end: number) => head.subarray(start, end).toString("latin1");
  if (head.length >= 6 && (ascii(0, 6) === "GIF87a" || ascii(0, 6) === "GIF89a")) return "image/gif";
  if (head.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  if (isAvif(head)) return "image/avif";
  return null;
}

/** An ISO-BMFF `ftyp` box whose major or compatible brands name AVIF (HEIC and other HEIF files do not). */
function isAvif(head: Buffer): boolean {
  if (head.length < 16 || head.subarray(4, 8).toString("latin1") !== "ftyp") return false;
  const boxSize = Math.min(head.readUInt32BE(0), head.length);
  const brands = [head.subarray(8, 12).toString("latin1")];
  for (let offset = 16; offset + 4 <= boxSize; offset += 4)
    brands.push(head.subarray(offset, offset + 4).toString("latin1"));
  return brands.includes("avif") || brands.includes("avis");
}

/** Width and height in pixels, or null when the header cannot be read from these bytes. */
export function readDimensions(bytes: Buffer): { width: number; height: number } | null {
  try {
    const { width, height } = imageSize(bytes);
    return width > 0 && height > 0 ? { width, height } : null;
  } catch {
    return null;
  }
}

export function withinDimensionLimits({ width, height }: { width: number; height: number }): boolean {
  return width <= MAX_SIDE_PX && height <= MAX_SIDE_PX && width * height <= MAX_PIXELS;
}
