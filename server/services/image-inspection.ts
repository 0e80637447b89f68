import { imageSize } from "image-size";

// SEC-10: the only types we accept, whatever a client says, and how their bytes are recognised: one list and one
// sniffer, shared with the client (which checks before sending; the server checks again at completeUpload).
import { ALLOWED_IMAGE_TYPES, type AllowedImageType, sniffImageType } from "../../client/image-type.js";

export { ALLOWED_IMAGE_TYPES, type AllowedImageType, sniffImageType };

export function isAllowedImageType(value: string): value is AllowedImageType {
  return (ALLOWED_IMAGE_TYPES as readonly string[]).includes(value);
}

/** SEC-11: each side at most 16,384 px, and at most 40 megapixels. */
export const MAX_SIDE_PX = 16_384;
export const MAX_PIXELS = 40_000_000;

/** Enough of the file for magic bytes and, for almost every real image, the dimensions. */
export const INSPECTION_HEAD_BYTES = 512 * 1024;

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
