import { THUMBNAIL_WIDTHS } from "./image-processor.js";

/**
 * Storage keys of an image, built only from its server-made id (SEC-12). Everything under `img/` is public (the
 * local driver serves it; an S3 public base should expose only it); `up/` and `orig/` never are.
 *
 * | key                   | holds                                                                  |
 * |-----------------------|------------------------------------------------------------------------|
 * | up/<id>               | the upload, until completeUpload has checked it                        |
 * | orig/<id>             | the checked upload (the original): owner only, deleted once the public image exists unless KEEP_ORIGINALS |
 * | img/<id>-public       | the public image: upright, metadata stripped except ICC                |
 * | img/<id>-w<width>     | a WebP thumbnail                                                        |
 * | img/<id>              | an image recorded before the pipeline, served as uploaded until backfilled |
 */

/** Where the client uploads to. Never served: bytes reach `orig/` only after completeUpload has checked them. */
export function uploadKeyFor(uploadId: string): string {
  return `up/${uploadId}`;
}

export function originalKeyFor(imageId: string): string {
  return `orig/${imageId}`;
}

export function publicKeyFor(imageId: string): string {
  return `img/${imageId}-public`;
}

/** `name` as in ImageVariantRecord.name, e.g. `w320`. */
export function variantKeyFor(imageId: string, name: string): string {
  return `img/${imageId}-${name}`;
}

/** Where a pre-pipeline image's bytes are (and are served from until it is processed). */
export function legacyKeyFor(imageId: string): string {
  return `img/${imageId}`;
}

/** The prefix of every servable key (`img/`); the local driver serves only what is under it. */
export const SERVED_KEY_PREFIX = "img/";

/** Every key the image may have objects under, whatever state a crash left it in: what a delete removes. */
export function allKeysFor(imageId: string): string[] {
  return [
    originalKeyFor(imageId),
    legacyKeyFor(imageId),
    publicKeyFor(imageId),
    ...THUMBNAIL_WIDTHS.map((width) => variantKeyFor(imageId, `w${width}`)),
  ];
}

/** The image id a stored key belongs to (prefix, then the id, then an optional `-suffix`), or null. */
export function imageIdOfKey(key: string): { imageId: string; derived: boolean } | null {
  const match = /^(?:img|orig)\/([A-Za-z0-9_-]{16})(-[a-z0-9]+)?$/.exec(key);
  return match ? { imageId: match[1]!, derived: match[2] !== undefined } : null;
}
