import { DependencyUnavailableError, badInput, notFound } from "../errors.js";
import type { BlobStore } from "../ports/blob-store.js";
import type { ImageEventKind, ImageEventPublisher } from "../ports/image-events.js";
import type {
  ImageRecord,
  ImageStore,
  ProcessedImage,
  ServableImage,
  UploadTicketRecord,
  Visibility,
} from "../ports/image-store.js";
import type { JobQueue } from "../ports/job-queue.js";
import type { LinkCache } from "./link-cache.js";
import type { AccessGrants } from "./access-grants.js";
import type { Viewer } from "./credential.service.js";
import { isWellFormedId } from "./credentials.js";
import { PublicLinks } from "./public-links.js";
import { MAX_PAGE_SIZE, decodeCursor, encodeCursor } from "./image-cursor.js";
import { allKeysFor } from "./image-keys.js";
import type { VerifiedUpload } from "./upload-verification.js";

export interface ImageServiceOptions {
  /** Base of public links, no trailing slash. */
  publicUrl: string;
  /**
   * Called while an image is being deleted (after it stops being served, before its record goes), to take it out
   * of everything that refers to it: albums, share links. Must be safe to call again.
   */
  forgetImage?: (imageId: string) => Promise<void>;
  /** Where the service announces what happened to an image (live updates); absent = nowhere. */
  events?: ImageEventPublisher;
  /** What the public link serves, kept in process (issue 16); null or absent = read the store every time. */
  linkCache?: LinkCache<ServableImage> | null;
  now?: () => number;
}

export interface ImagePage {
  images: ImageRecord[];
  hasMore: boolean;
  /** All of the owner's images; a read of its own, made only by callers that want the number. */
  countAll: () => Promise<number>;
}

/**
 * Images once uploaded: reading, links, listing, visibility, the pipeline's state transitions and deleting (the
 * upload itself is `UploadService`). Knows nothing of HTTP, Redis or S3 calls.
 */
export class ImageService {
  private readonly now: () => number;
  /** Where public links lead (the redirect routes, albums and share links ask it directly). */
  readonly links: PublicLinks;

  constructor(
    private readonly images: ImageStore,
    private readonly blobs: BlobStore,
    private readonly grants: AccessGrants,
    private readonly options: ImageServiceOptions,
    private readonly jobs: JobQueue,
  ) {
    this.now = options.now ?? Date.now;
    this.links = new PublicLinks(images, blobs, grants, options.linkCache ?? null);
  }

  /** The public link of an image, or of one of its variants (`w320`, ...). */
  linkFor(imageId: string, variant?: string): string {
    return `${this.options.publicUrl}/image/${imageId}${variant === undefined ? "" : `/${variant}`}`;
  }

  /**
   * Where someone already allowed to see the image (its owner, an album's or a share link's visitor) loads its
   * bytes: the public link, which for a private image carries a short-lived grant.
   */
  viewUrlFor(image: Pick<ImageRecord, "id" | "visibility">): string {
    const link = this.linkFor(image.id);
    return image.visibility === "public" ? link : `${link}?grant=${this.grants.issue("image", image.id)}`;
  }

  /** The link of one of the image's thumbnails (`w320`, ...), with a grant if the image is private, like viewUrlFor. */
  variantUrlFor(image: Pick<ImageRecord, "id" | "visibility">, variant: string): string {
    const link = this.linkFor(image.id, variant);
    return image.visibility === "public" ? link : `${link}?grant=${this.grants.issue("image", image.id)}`;
  }

  /**
   * A verified upload becomes an image: recorded (PROCESSING), listed, announced and queued for the pipeline.
   * Returns the record, which a concurrent delete may already have marked.
   */
  async recordUpload(ticket: UploadTicketRecord, key: string, verified: VerifiedUpload): Promise<ImageRecord> {
    const image = await this.images.createImage({
      id: ticket.uploadId,
      ownerId: ticket.userId,
      key,
      filename: ticket.filename,
      contentType: verified.contentType,
      size: verified.size,
      width: verified.width,
      height: verified.height,
      createdAt: this.now(),
      visibility: ticket.visibility,
      status: "live",
      processing: {
        status: "PROCESSING",
        failureReason: null,
        placeholder: null,
        publicKey: null,
        publicSize: null,
        variants: [],
      },
    });
    // A concurrent delete may have marked it already; then it must not be listed again.
    if (image.status === "live") {
      await this.images.listImage(image);
      await this.announce("CREATED", image);
      await this.jobs.enqueue(image.id);
    }
    return image;
  }

  /** Metadata of a live image the viewer may see (any public one, and their own), or null. */
  async getImage(viewer: Viewer | null, imageId: string): Promise<ImageRecord | null> {
    const image = await this.imageById(imageId);
    return image && image.status === "live" && mayView(viewer, image) ? image : null;
  }

  /** A live image whatever its visibility, for features that grant access themselves (albums, share links). */
  async getGrantedImage(imageId: string): Promise<ImageRecord | null> {
    const image = await this.imageById(imageId);
    return image && image.status === "live" ? image : null;
  }

  /** The caller's live image, or NOT_FOUND (also for anyone else's, so an id tells nothing about its owner: SEC-11). */
  async getOwnImage(viewer: Viewer, imageId: string): Promise<ImageRecord> {
    const image = await this.getGrantedImage(imageId);
    if (!image || image.ownerId !== viewer.userId) throw notFound("No such image.");
    return image;
  }

  /** PUBLIC: the link works for everyone. PRIVATE: it answers 404; the owner, albums and share links still see it. */
  async setImageVisibility(viewer: Viewer, imageId: string, visibility: Visibility): Promise<ImageRecord> {
    const image = await this.getOwnImage(viewer, imageId);
    if (!(await this.images.setVisibility(image.id, visibility))) throw notFound("No such image.");
    return { ...image, visibility };
  }

  /** The caller's images, newest first, `first` at a time after the opaque cursor `after`. */
  async listImages(viewer: Viewer, first: number, after: string | null): Promise<ImagePage> {
    const page = await this.page(viewer, first, after);
    return { ...page, countAll: async () => (await this.images.usage(viewer.userId)).images };
  }

  /**
   * The caller's images, newest first: all of them, or the newest `limit`. For clients that cannot page (the REST
   * dialect); read in the largest pages `listImages` allows.
   */
  async listAllImages(viewer: Viewer, limit: number | null): Promise<ImageRecord[]> {
    const wanted = limit ?? Number.POSITIVE_INFINITY;
    const items: ImageRecord[] = [];
    let after: string | null = null;
    while (items.length < wanted) {
      const page = await this.page(viewer, Math.min(MAX_PAGE_SIZE, wanted - items.length), after);
      items.push(...page.images);
      const last = page.images.at(-1);
      if (!page.hasMore || last === undefined) break;
      after = encodeCursor(last);
    }
    return items;
  }

  /** One page of `listImages` without the count, which `listAllImages` has no use for. */
  private async page(viewer: Viewer, first: number, after: string | null): Promise<Omit<ImagePage, "countAll">> {
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
      throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}.`, { field: "first" });
    }
    return this.images.listImages(viewer.userId, first, after === null ? null : decodeCursor(after));
  }

  /**
   * Deletes the caller's image; anyone else's (or an unknown id) is NOT_FOUND. SEC-16 order: mark, delete the
   * bytes, then drop the record, so a crash can leave an orphan object but never a record without bytes.
   */
  async deleteImage(viewer: Viewer, imageId: string): Promise<void> {
    const image = await this.imageById(imageId);
    if (!image || image.ownerId !== viewer.userId) throw notFound("No such image.");
    await this.finishDelete(image);
  }

  /**
   * Where the public link redirects, or null for unknown, malformed, deleted or private ids (a private one is
   * served when `grant` is a live grant for it, see `viewUrlFor`).
   */
  async downloadUrl(imageId: string, grant: string | null = null): Promise<string | null> {
    const link = await this.links.resolve(imageId, null, grant);
    return link?.kind === "redirect" ? link.url : null;
  }

  /**
   * PROCESSING to READY: the worker has written every derivative, which are served from now on. The one place the
   * transition happens, and where it is announced. Returns the record afterwards, or null when it is gone.
   */
  async markReady(imageId: string, processed: ProcessedImage): Promise<ImageRecord | null> {
    const image = await this.images.markReady(imageId, processed);
    if (image?.status === "live" && image.processing?.status === "READY") await this.announce("READY", image);
    return image;
  }

  /** PROCESSING to FAILED with a reason for the owner; the image is not served. The one place it happens. */
  async markFailed(imageId: string, reason: string): Promise<ImageRecord | null> {
    const image = await this.images.markFailed(imageId, reason);
    if (image?.status === "live" && image.processing?.status === "FAILED") await this.announce("FAILED", image);
    return image;
  }

  /**
   * (no status) or FAILED to PROCESSING, and queued: for `npm run backfill` and the sweeper. A PROCESSING image is
   * queued again (a no-op while its job exists); READY ones are left alone. Returns the record, or null.
   */
  async reprocess(imageId: string): Promise<ImageRecord | null> {
    const image = await this.images.markProcessing(imageId);
    if (image?.status === "live" && image.processing?.status === "PROCESSING") await this.jobs.enqueue(image.id);
    return image;
  }

  /** The record (live or being deleted) for an id `newId` could have made; anything else is absent unread (SEC-12). */
  private imageById(imageId: string): Promise<ImageRecord | null> {
    return isWellFormedId(imageId) ? this.images.findImage(imageId) : Promise.resolve(null);
  }

  /** Mark, then bytes, then record. Also used by the sweeper to finish deletes a crash interrupted. */
  async finishDelete(image: ImageRecord): Promise<void> {
    if (image.status !== "deleting") await this.images.markDeleting(image.id);
    await this.options.forgetImage?.(image.id);
    // Every key the image can have, not just those recorded: a crash mid-processing may have written more.
    const keys = new Set([image.key, ...allKeysFor(image.id), ...(image.processing?.variants ?? []).map((v) => v.key)]);
    for (const key of keys) await this.blobs.delete(key);
    await this.images.removeImage(image);
    await this.announce("DELETED", image);
  }

  /**
   * Tells the owner's subscribers, after the change is stored. A bus outage does not fail the change: events are
   * at most once (the adapter's metrics count the failure), and subscribers are cut off by the same outage, so
   * they refetch when they reconnect.
   */
  private async announce(kind: ImageEventKind, image: ImageRecord): Promise<void> {
    const events = this.options.events;
    if (!events) return;
    try {
      await events.publish({
        kind,
        imageId: image.id,
        ownerId: image.ownerId,
        image: kind === "DELETED" ? null : image,
        at: this.now(),
      });
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
    }
  }
}

function mayView(viewer: Viewer | null, image: ImageRecord): boolean {
  return image.visibility === "public" || image.ownerId === viewer?.userId;
}
