import type { BlobStore } from "../ports/blob-store.js";
import type { ImageRecord, ImageStore, ImageVariantRecord } from "../ports/image-store.js";
import { legacyKeyFor, originalKeyFor, publicKeyFor, variantKeyFor } from "./image-keys.js";
import { MAX_PIXELS } from "./image-inspection.js";
import { UnprocessableImageError, renderImage } from "./image-processor.js";
import type { ImageService } from "./image.service.js";

export interface ImagePipelineOptions {
  /** KEEP_ORIGINALS: keep the uploaded bytes (owner only, never served) after the public image exists. */
  keepOriginals: boolean;
  /** Told how each job ended, for metrics and logs. */
  onOutcome?: (outcome: "ready" | "failed" | "retry" | "skipped", imageId: string, error?: unknown) => void;
}

/** Said to the owner when processing failed for a reason that is not about their file. */
const INTERNAL_FAILURE = "Processing failed for a reason on our side; upload the image again.";

/**
 * One image job (issue 13): from the uploaded original, the public image, thumbnails and placeholder, written to
 * the blob store before the record says READY. Idempotent: a job run twice (a retry, a worker killed mid-job)
 * writes the same objects and ends in the same record; a job for an image that is gone or already done does
 * nothing more than finish dropping the original.
 */
export class ImagePipeline {
  constructor(
    private readonly images: ImageStore,
    private readonly blobs: BlobStore,
    private readonly imageService: ImageService,
    private readonly options: ImagePipelineOptions,
  ) {}

  /** The job handler. Throws to have the job retried; on the final attempt a failure is recorded instead. */
  async process(imageId: string, attempt: { final: boolean }): Promise<void> {
    const image = await this.images.findImage(imageId);
    if (!image || image.status !== "live" || !image.processing) return this.options.onOutcome?.("skipped", imageId);
    if (image.processing.status === "READY") return this.dropOriginal(image, image.key);
    if (image.processing.status === "FAILED") return this.options.onOutcome?.("skipped", imageId);
    try {
      await this.render(image);
      this.options.onOutcome?.("ready", imageId);
    } catch (error) {
      if (!attempt.final) {
        this.options.onOutcome?.("retry", imageId, error);
        throw error;
      }
      const reason = error instanceof UnprocessableImageError ? error.message : INTERNAL_FAILURE;
      await this.imageService.markFailed(imageId, reason);
      this.options.onOutcome?.("failed", imageId, error);
    }
  }

  private async render(image: ImageRecord): Promise<void> {
    const info = await this.blobs.stat(image.key);
    if (!info) throw new UnprocessableImageError("The uploaded file is gone; upload the image again.");
    const original = await this.blobs.readHead(image.key, info.size);
    const rendered = await renderImage(original, image.contentType, { maxPixels: MAX_PIXELS });

    // Derivatives first: the record must never say READY about objects that are not there.
    const publicKey = publicKeyFor(image.id);
    await this.blobs.put(publicKey, rendered.publicImage.bytes, rendered.publicImage.contentType);
    const variants: ImageVariantRecord[] = [];
    for (const thumbnail of rendered.thumbnails) {
      const key = variantKeyFor(image.id, thumbnail.name);
      await this.blobs.put(key, thumbnail.bytes, thumbnail.contentType);
      const { name, width, height, contentType } = thumbnail;
      variants.push({ name, key, width, height, contentType, size: thumbnail.bytes.length });
    }
    // A pre-pipeline original sits under the public `img/` prefix: a kept copy moves to `orig/`.
    let originalKey = image.key;
    if (this.options.keepOriginals && image.key === legacyKeyFor(image.id)) {
      originalKey = originalKeyFor(image.id);
      await this.blobs.put(originalKey, original, image.contentType);
    }
    const ready = await this.imageService.markReady(image.id, {
      originalKey,
      publicKey,
      publicSize: rendered.publicImage.bytes.length,
      width: rendered.publicImage.width,
      height: rendered.publicImage.height,
      placeholder: rendered.placeholder,
      variants,
    });
    // Deleted meanwhile: its delete (or the sweeper) removes what this job wrote.
    if (ready?.processing?.status === "READY") await this.dropOriginal(ready, image.key);
  }

  /** After READY: the uploaded bytes go unless kept; a pre-pipeline copy under `img/` goes in any case. */
  private async dropOriginal(image: ImageRecord, uploadedKey: string): Promise<void> {
    if (uploadedKey !== image.key) await this.blobs.delete(uploadedKey);
    if (!this.options.keepOriginals) await this.blobs.delete(image.key);
  }
}
