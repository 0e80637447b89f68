import type * as SharpNamespace from "sharp";
import type { Sharp } from "sharp";
import { rgbaToThumbHash } from "thumbhash";
import { concurrencyLimit } from "./concurrency-limit.js";

/** Thumbnail widths, pixels, smallest first. Each is WebP, fit inside (width × 4·width), never upscaled. */
export const THUMBNAIL_WIDTHS = [320, 1280] as const;
/** JPEG and lossy WebP public images: high enough that re-encoding shows no visible loss. */
const PUBLIC_QUALITY = 90;
const THUMBNAIL_QUALITY = 80;
/**
 * The ThumbHash is computed from the image scaled to fit this square. ThumbHash keeps at most 7×7 cosine terms and
 * its decoders paint 32 pixels, so 32 keeps what the hash can hold: decoded, photos differ from a 100-pixel input
 * by under 1/255 on average. At 100 (the library's maximum) the encoder, on the main thread, took 0.7–2.8 ms and
 * allocated about 0.9 MB a job, over half of all allocation while uploads streamed in; at 32, about an eighth of each.
 */
export const PLACEHOLDER_MAX_SIDE = 32;

/**
 * Each sharp operation runs on one of libuv's worker threads (UV_THREADPOOL_SIZE, 4 unless set), which the file
 * system needs too: with every thread rendering, a server's own uploads, completions and local files waited for a
 * whole render (issue 14's `imageEvents` p99 in `npm run bench -- --only live`: 29–35 ms like this, 42–47 ms
 * without). Renders take at most half the threads, as logins do (account.service.ts).
 */
const renderSlot = concurrencyLimit(Math.max(1, Math.floor((Number(process.env.UV_THREADPOOL_SIZE) || 4) / 2)));

type SharpModule = typeof SharpNamespace;
let sharpModule: Promise<SharpModule> | null = null;

/**
 * sharp (libvips, about 20 MB of memory) loads with the first job, not with the process: an API node or a server
 * whose worker has nothing to do never pays for it.
 */
function loadSharp(): Promise<SharpModule> {
  sharpModule ??= import("sharp").then((loaded) => {
    // The worker holds one job's images at a time; libvips' operation cache would only keep decoded pixels around.
    loaded.default.cache(false);
    return loaded;
  });
  return sharpModule;
}

interface Rendered {
  bytes: Buffer;
  /** Pixels. */
  width: number;
  height: number;
  contentType: string;
}

export interface RenderedImage {
  /** Upright, metadata stripped except the ICC profile, same format (and animation) as the upload. */
  publicImage: Rendered;
  /** One per width in THUMBNAIL_WIDTHS narrower than the image (at least one, at most its width), smallest first. */
  thumbnails: (Rendered & { name: string })[];
  /** ThumbHash, base64. */
  placeholder: string;
}

/** The upload cannot be turned into a public image; `message` is meant for the owner. Retrying will not help. */
export class UnprocessableImageError extends Error {
  override readonly name = "UnprocessableImageError";
}

/**
 * Renders everything the public sees of an upload. `maxPixels` bounds what libvips will decode (all frames of an
 * animation count), so a decompression bomb is refused before its pixels take memory.
 */
export async function renderImage(
  input: Buffer,
  contentType: string,
  limits: { maxPixels: number },
): Promise<RenderedImage> {
  const { default: sharp } = await loadSharp();
  try {
    const open = (animated: boolean) => sharp(input, { limitInputPixels: limits.maxPixels, animated }).autoOrient();
    const animated = contentType === "image/gif" || contentType === "image/webp";
    // Two decodes of the upload, run side by side: the public image at full size, and the largest thumbnail's
    // pixels (JPEG shrinks on load), from which the smaller thumbnails and the placeholder are made.
    const { width: uprightWidth } = (await renderSlot(() => open(false).metadata())).autoOrient;
    const [publicImage, previews] = await Promise.all([
      encodePublic(open(animated), contentType, isLosslessWebp(input)),
      renderPreviews(sharp, open(false), uprightWidth),
    ]);
    return { publicImage, ...previews };
  } catch (error) {
    throw toUnprocessable(error, limits.maxPixels);
  }
}

/** The thumbnails (fit inside width × 4·width) and the ThumbHash, from one decode of the upright first frame. */
async function renderPreviews(
  sharp: SharpModule["default"],
  upright: Sharp,
  uprightWidth: number,
): Promise<Pick<RenderedImage, "thumbnails" | "placeholder">> {
  const largest = THUMBNAIL_WIDTHS[THUMBNAIL_WIDTHS.length - 1]!;
  const base = await renderSlot(() =>
    upright
      .resize({ width: largest, height: largest * 4, fit: "inside", withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
  const { width: baseWidth, height: baseHeight, channels } = base.info;
  const fromBase = () => sharp(base.data, { raw: { width: baseWidth, height: baseHeight, channels } });
  const thumbnails: RenderedImage["thumbnails"] = [];
  for (const target of THUMBNAIL_WIDTHS) {
    // Never upscaled: a width the image does not reach is left out, except that every image gets one thumbnail.
    if (thumbnails.length > 0 && target >= uprightWidth) break;
    const width = Math.min(target, uprightWidth);
    const { data, info } = await renderSlot(() =>
      fromBase()
        .resize({ width, height: width * 4, fit: "inside", withoutEnlargement: true })
        .webp({ quality: THUMBNAIL_QUALITY })
        .toBuffer({ resolveWithObject: true }),
    );
    thumbnails.push({
      name: `w${target}`,
      bytes: data,
      width: info.width,
      height: info.height,
      contentType: "image/webp",
    });
  }
  const { data, info } = await renderSlot(() =>
    fromBase()
      .resize(PLACEHOLDER_MAX_SIDE, PLACEHOLDER_MAX_SIDE, { fit: "inside" })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
  const placeholder = Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString("base64");
  return { thumbnails, placeholder };
}

async function encodePublic(image: Sharp, contentType: string, lossless: boolean): Promise<Rendered> {
  // Nothing is kept by default: EXIF (GPS, maker notes), XMP, IPTC, comments and PNG text chunks all go.
  const kept = image.keepIccProfile();
  let encoded: Sharp;
  switch (contentType) {
    case "image/jpeg":
      encoded = kept.jpeg({ quality: PUBLIC_QUALITY });
      break;
    case "image/png":
      encoded = kept.png();
      break;
    case "image/gif":
      encoded = kept.gif();
      break;
    case "image/webp":
      encoded = kept.webp(lossless ? { lossless: true } : { quality: PUBLIC_QUALITY });
      break;
    case "image/avif":
      encoded = kept.avif({ quality: PUBLIC_QUALITY });
      break;
    default:
      throw new UnprocessableImageError(`Images of type ${contentType} cannot be processed.`);
  }
  const { data, info } = await renderSlot(() => encoded.toBuffer({ resolveWithObject: true }));
  // For animations libvips reports the whole strip of frames; the page height is one frame.
  return { bytes: data, width: info.width, height: info.pageHeight ?? info.height, contentType };
}

/** A WebP whose first image chunk is VP8L was stored losslessly, and is re-encoded losslessly. */
function isLosslessWebp(bytes: Buffer): boolean {
  if (bytes.length < 16 || bytes.toString("latin1", 8, 12) !== "WEBP") return false;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const fourcc = bytes.toString("latin1", offset, offset + 4);
    if (fourcc === "VP8L") return true;
    if (fourcc === "VP8 ") return false;
    offset += 8 + bytes.readUInt32LE(offset + 4) + (bytes.readUInt32LE(offset + 4) % 2);
  }
  return false;
}

function toUnprocessable(error: unknown, maxPixels: number): UnprocessableImageError {
  if (error instanceof UnprocessableImageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new UnprocessableImageError(
      `The image is larger than ${maxPixels / 1e6} megapixels once decoded (all frames count).`,
    );
  }
  // Everything else libvips throws here is about the bytes: damaged, truncated, or not what the header says.
  return new UnprocessableImageError("The image could not be decoded: it is damaged or not a real image.");
}
