import {
  AppError,
  assertNever,
  DependencyUnavailableError,
  ErrorCode,
  badInput,
  conflict,
  notFound,
  payloadTooLarge,
} from "../errors.js";
import {
  BlobChangedError,
  BlobNotFoundError,
  type BlobInfo,
  type BlobStore,
  type UploadTarget,
} from "../ports/blob-store.js";
import type { ImageEventKind, ImageEventPublisher } from "../ports/image-events.js";
import type {
  ImageCursor,
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
import type { Viewer } from "./account.service.js";
import { isWellFormedId, newId } from "./credentials.js";
import { allKeysFor, originalKeyFor } from "./image-keys.js";
import {
  ALLOWED_IMAGE_TYPES,
  INSPECTION_HEAD_BYTES,
  MAX_PIXELS,
  MAX_SIDE_PX,
  isAllowedImageType,
  readDimensions,
  sniffImageType,
  withinDimensionLimits,
} from "./image-inspection.js";
import { formatBytes } from "../../client/units.js";

export interface ImageServiceOptions {
  /** Largest image, bytes. */
  maxUploadBytes: number;
  /** Base of public links, no trailing slash. */
  publicUrl: string;
  /** SEC-13: open upload tickets per user. */
  maxOpenTickets: number;
  /** SEC-13: images per user. */
  quotaImages: number;
  /** SEC-13: stored bytes per user. */
  quotaBytes: number;
  /**
   * Called while an image is being deleted (after it stops being served, before its record goes), to take it out
   * of everything that refers to it: albums, share links. Must be safe to call again.
   */
  forgetImage?: (imageId: string) => Promise<void>;
  /** Told how each verification of an upload ended, for metrics. */
  onUploadOutcome?: (outcome: "completed" | "rejected" | "failed") => void;
  /** Where the service announces what happened to an image (live updates); absent = nowhere. */
  events?: ImageEventPublisher;
  /** What the public link serves, kept in process (issue 16); null or absent = read the store every time. */
  linkCache?: LinkCache<ServableImage> | null;
  now?: () => number;
}

/** DESIGN.md: a ticket lives at most 15 minutes. */
export const TICKET_TTL_MS = 15 * 60_000;

export interface UploadRequest {
  filename: string;
  contentType: string;
  /** Declared size, bytes; null when the client does not say (older REST clients). */
  size: number | null;
  /** How the client prefers to send the bytes; the ticket says what it must do. */
  method: "PUT" | "POST";
  /** Of the image it becomes; public unless asked otherwise (older clients never ask). */
  visibility?: Visibility;
}

export interface IssuedUpload {
  ticket: UploadTicketRecord;
  target: UploadTarget;
}

/** Where a public link leads: a redirect to the bytes, or "come back later" while the image is processed. */
export type PublicLink = { kind: "redirect"; url: string } | { kind: "processing" };

export interface ImagePage {
  images: ImageRecord[];
  hasMore: boolean;
  totalCount: number;
}

/** How long one complete may hold its claim: longer than checking and moving the largest upload takes. */
const COMPLETION_CLAIM_MS = 30_000;
/** How often a complete waiting on a concurrent one looks for its result: two Redis reads per poll at most. */
const COMPLETION_POLL_MS = 100;

/** Waits `ms`; a request whose client has gone away stops waiting (its answer would reach nobody). */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw conflict("The request was cancelled.");
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
  if (signal?.aborted) throw conflict("The request was cancelled.");
}

/** SEC-7: the largest page a client may ask for. */
export const MAX_PAGE_SIZE = 100;
const MAX_FILENAME_LENGTH = 255;

/** The upload flow (DESIGN.md "Upload flow"), listing and deleting. Knows nothing of HTTP, Redis or S3 calls. */
export class ImageService {
  private readonly now: () => number;

  constructor(
    private readonly images: ImageStore,
    private readonly blobs: BlobStore,
    private readonly grants: AccessGrants,
    private readonly options: ImageServiceOptions,
    private readonly jobs: JobQueue,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The public link of an image, or of one of its variants (`w320`…). */
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

  /** The link of one of the image's thumbnails (`w320`…), with a grant when the image is private, like viewUrlFor. */
  variantUrlFor(image: Pick<ImageRecord, "id" | "visibility">, variant: string): string {
    const link = this.linkFor(image.id, variant);
    return image.visibility === "public" ? link : `${link}?grant=${this.grants.issue("image", image.id)}`;
  }

  /** Step 1: validates the request and quota, opens a ticket, and says how to send the bytes. */
  async requestUpload(viewer: Viewer, request: UploadRequest): Promise<IssuedUpload> {
    const filename = cleanFilename(request.filename);
    const contentType = request.contentType.trim().toLowerCase();
    if (!isAllowedImageType(contentType)) {
      throw badInput(`Only ${ALLOWED_IMAGE_TYPES.join(", ")} images are accepted.`, { field: "contentType" });
    }
    const size = request.size;
    if (size !== null) {
      if (!Number.isSafeInteger(size) || size < 1)
        throw badInput("Size must be a positive number of bytes.", { field: "size" });
      if (size > this.options.maxUploadBytes)
        throw payloadTooLarge(`Images may be at most ${formatBytes(this.options.maxUploadBytes)}.`);
    }
    const uploadId = newId();
    const now = this.now();
    const ticket: UploadTicketRecord = {
      uploadId,
      userId: viewer.userId,
      key: uploadKeyFor(uploadId),
      filename,
      contentType,
      maxBytes: size ?? this.options.maxUploadBytes,
      declaredBytes: size,
      visibility: request.visibility ?? "public",
      createdAt: now,
      expiresAt: now + TICKET_TTL_MS,
    };
    const target = await this.blobs.createUploadTarget({
      key: ticket.key,
      contentType,
      maxBytes: ticket.maxBytes,
      exactBytes: size,
      expiresAt: ticket.expiresAt,
      method: request.method,
    });
    const { maxOpenTickets: maxOpen, quotaImages, quotaBytes } = this.options;
    // SEC-13: the limits are checked, and the quota reserved, in the same atomic step that opens the ticket.
    const opening = await this.images.openTicket(ticket, { maxOpen, quotaImages, quotaBytes });
    switch (opening) {
      case "opened":
        return { ticket, target };
      case "too-many-open":
        throw new AppError(
          ErrorCode.RATE_LIMITED,
          `You already have ${maxOpen} uploads in progress; complete them or wait for them to expire.`,
          { retryAfterSeconds: Math.ceil(TICKET_TTL_MS / 1000) },
        );
      case "image-quota":
        throw payloadTooLarge(
          `Image quota reached (${quotaImages} images, counting uploads in progress); delete some first.`,
        );
      case "byte-quota":
        throw payloadTooLarge(
          `Storage quota reached (${formatBytes(quotaBytes)}, counting uploads in progress); delete some images first.`,
        );
      default:
        return assertNever(opening);
    }
  }

  /**
   * Step 3: verifies what arrived for the caller's own ticket (SEC-11) and records it once. Retrying after success
   * returns the same image; concurrent completes make one image; a rejected object is deleted and the ticket
   * stays open for another try.
   */
  async completeUpload(viewer: Viewer, uploadId: string, signal?: AbortSignal): Promise<ImageRecord> {
    if (!(await this.images.claimCompletion(viewer.userId, uploadId, COMPLETION_CLAIM_MS))) {
      return this.awaitConcurrentCompletion(viewer, uploadId, signal);
    }
    return this.completeHolding(viewer, uploadId);
  }

  /** Completes the upload while holding its claim, and gives the claim back whatever happens. */
  private async completeHolding(viewer: Viewer, uploadId: string): Promise<ImageRecord> {
    try {
      const ticket = await this.findTicket(viewer, uploadId);
      if (ticket) return await this.completeClaimed(ticket);
      const done = await this.imageById(uploadId);
      if (done && done.ownerId === viewer.userId && done.status === "live") {
        // A retry after the job could not be queued (Redis hiccup) queues it now; queueing twice adds nothing.
        if (done.processing?.status === "PROCESSING") await this.jobs.enqueue(done.id);
        return done;
      }
      throw notFound("No such upload: it may have expired, or belong to someone else.");
    } finally {
      await this.images.releaseCompletion(viewer.userId, uploadId);
    }
  }

  /**
   * Another request is completing this upload: wait for its result instead of checking the bytes again. Polls at a
   * bounded rate, stops when `signal` says the client went away, and when the other attempt lets go without a
   * result (rejected bytes, outage) completes by itself, holding a full claim: it never goes back to waiting, so it
   * answers within one poll of the other attempt's end (issue 15).
   */
  private async awaitConcurrentCompletion(
    viewer: Viewer,
    uploadId: string,
    signal: AbortSignal | undefined,
  ): Promise<ImageRecord> {
    const deadline = this.now() + COMPLETION_CLAIM_MS;
    while (this.now() < deadline) {
      await pause(COMPLETION_POLL_MS, signal);
      const image = await this.images.findImage(uploadId);
      if (image && image.ownerId === viewer.userId && image.status === "live") return image;
      if (await this.images.claimCompletion(viewer.userId, uploadId, COMPLETION_CLAIM_MS)) {
        return this.completeHolding(viewer, uploadId);
      }
    }
    throw conflict("This upload is being completed by another request; try again in a moment.");
  }

  private async completeClaimed(ticket: UploadTicketRecord): Promise<ImageRecord> {
    const finalKey = originalKeyFor(ticket.uploadId);
    let verified: Awaited<ReturnType<ImageService["verifyObject"]>>;
    try {
      verified = await this.verifyAndPromote(ticket, finalKey);
    } catch (error) {
      const rejected =
        error instanceof AppError &&
        (error.code === ErrorCode.BAD_USER_INPUT || error.code === ErrorCode.PAYLOAD_TOO_LARGE);
      this.options.onUploadOutcome?.(rejected ? "rejected" : "failed");
      throw error;
    }
    const image = await this.images.createImage({
      id: ticket.uploadId,
      ownerId: ticket.userId,
      key: finalKey,
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
    this.options.onUploadOutcome?.("completed");
    return image;
  }

  /** The ticket of an upload in progress, or null. For the REST shim, which echoes ticket details. */
  async findTicket(viewer: Viewer, uploadId: string): Promise<UploadTicketRecord | null> {
    const ticket = isWellFormedId(uploadId) ? await this.images.findTicket(viewer.userId, uploadId) : null;
    return ticket && ticket.expiresAt > this.now() ? ticket : null;
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
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
      throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}.`, { field: "first" });
    }
    const cursor = after === null ? null : decodeCursor(after);
    const [page, usage] = await Promise.all([
      this.images.listImages(viewer.userId, first, cursor),
      this.images.usage(viewer.userId),
    ]);
    return { ...page, totalCount: usage.images };
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
   * served when `grant` is a live grant for it, see `viewUrlFor`). One metadata read, or none when the link cache
   * holds the answer.
   */
  async downloadUrl(imageId: string, grant: string | null = null): Promise<string | null> {
    const link = await this.publicLink(imageId, null, grant);
    return link?.kind === "redirect" ? link.url : null;
  }

  /**
   * Where the public link of the image, or of its variant `w320`…, leads: a redirect, or "processing" (the link
   * answers 503 until READY); null for unknown, malformed, deleted, FAILED or private ids (unless `grant` is a
   * live grant for it) and unknown variants.
   */
  async publicLink(imageId: string, variant: string | null, grant: string | null = null): Promise<PublicLink | null> {
    return this.servableLink(imageId, variant, grant !== null && this.grants.verify("image", imageId, grant));
  }

  /** Where an album or share link sends a viewer it has let in: private images too. */
  async grantedDownloadUrl(imageId: string): Promise<string | null> {
    const link = await this.servableLink(imageId, null, true);
    return link?.kind === "redirect" ? link.url : null;
  }

  private async servableLink(
    imageId: string,
    variant: string | null,
    includePrivate: boolean,
  ): Promise<PublicLink | null> {
    if (!isWellFormedId(imageId) || (variant !== null && !/^w\d{1,5}$/.test(variant))) return null;
    const { linkCache } = this.options;
    const image = linkCache
      ? await linkCache.get(imageId, (id) => this.images.findServable(id))
      : await this.images.findServable(imageId);
    if (!image || (image.visibility === "private" && !includePrivate)) return null;
    if (image.state === "processing") return { kind: "processing" };
    const target = variant === null ? image : image.variants.find((v) => v.name === variant);
    if (!target) return null;
    return { kind: "redirect", url: (await this.blobs.downloadUrl(target.key, target.contentType)).url };
  }

  /**
   * PROCESSING → READY: the worker has written every derivative, which are served from now on. The one place the
   * transition happens, and where it is announced. Returns the record afterwards, or null when it is gone.
   */
  async markReady(imageId: string, processed: ProcessedImage): Promise<ImageRecord | null> {
    const image = await this.images.markReady(imageId, processed);
    if (image?.status === "live" && image.processing?.status === "READY") await this.announce("READY", image);
    return image;
  }

  /** PROCESSING → FAILED with a reason for the owner; the image is not served. The one place it happens. */
  async markFailed(imageId: string, reason: string): Promise<ImageRecord | null> {
    const image = await this.images.markFailed(imageId, reason);
    if (image?.status === "live" && image.processing?.status === "FAILED") await this.announce("FAILED", image);
    return image;
  }

  /**
   * (no status) or FAILED → PROCESSING, and queued: for `npm run backfill` and the sweeper. A PROCESSING image is
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

  /** Mark → bytes → record. Also used by the sweeper to finish deletes a crash interrupted. */
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

  /**
   * Moves the upload to its final key, then checks the bytes there. Only the server writes final keys, so the
   * bytes checked are the bytes served, even if the client rewrites its upload URL at any moment (SEC-11); the move
   * itself also refuses an upload that changed since it was looked at. If a crash (or a concurrent complete)
   * already moved it, the object at the final key is checked like any other.
   */
  private async verifyAndPromote(
    ticket: UploadTicketRecord,
    finalKey: string,
  ): Promise<{ contentType: string; size: number; width: number; height: number }> {
    const uploaded = await this.blobs.stat(ticket.key);
    if (uploaded) {
      // Refuse what is too big before copying it.
      await this.checkSize(ticket, ticket.key, uploaded);
      try {
        await this.blobs.promote(ticket.key, finalKey, uploaded.version);
      } catch (error) {
        if (error instanceof BlobChangedError)
          throw badInput("The upload changed while it was being checked; upload it again.");
        // Moved meanwhile by a concurrent complete: check what arrived at the final key like any other.
        if (!(error instanceof BlobNotFoundError)) throw error;
      }
    }
    const nothingYet = () => badInput("Nothing has been uploaded for this ticket yet: send the bytes first.");
    const promoted = await this.blobs.stat(finalKey);
    if (!promoted) throw nothingYet();
    return this.verifyObject(ticket, finalKey, promoted).catch((error: unknown) => {
      throw error instanceof BlobNotFoundError ? nothingYet() : error;
    });
  }

  /** Rejects (and deletes) an empty or oversized object. */
  private async checkSize(ticket: UploadTicketRecord, key: string, info: BlobInfo): Promise<void> {
    if (info.size > 0 && info.size <= ticket.maxBytes) return;
    await this.blobs.delete(key);
    if (info.size === 0) throw badInput("The uploaded file is empty.");
    throw payloadTooLarge(`The upload is larger than the ${formatBytes(ticket.maxBytes)} this ticket allows.`);
  }

  private async verifyObject(
    ticket: UploadTicketRecord,
    key: string,
    info: BlobInfo,
  ): Promise<{ contentType: string; size: number; width: number; height: number }> {
    const reject = async (error: AppError): Promise<never> => {
      await this.blobs.delete(key);
      throw error;
    };
    await this.checkSize(ticket, key, info);

    let bytes = await this.blobs.readHead(key, Math.min(info.size, INSPECTION_HEAD_BYTES));
    const actualType = sniffImageType(bytes);
    if (!actualType) return reject(badInput(`The file is not an accepted image (${ALLOWED_IMAGE_TYPES.join(", ")}).`));
    if (actualType !== ticket.contentType) {
      return reject(badInput(`The file is ${actualType}, but the upload was requested as ${ticket.contentType}.`));
    }
    let dimensions = readDimensions(bytes);
    // Some JPEGs carry more metadata than the head holds before their frame header.
    if (!dimensions && bytes.length < info.size) {
      bytes = await this.blobs.readHead(key, info.size);
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
}

function mayView(viewer: Viewer | null, image: ImageRecord): boolean {
  return image.visibility === "public" || image.ownerId === viewer?.userId;
}

/** SEC-12: storage keys are built only from server-made ids. Where a verified image lives. */
export function storageKeyFor(imageId: string): string {
  return `img/${imageId}`;
}

/** Where the client uploads to. Never served: bytes reach `img/` only after completeUpload has checked them. */
export function uploadKeyFor(uploadId: string): string {
  return `up/${uploadId}`;
}

/** The name shown for an uploaded file: its last path part, NFC. Never used to build a path or a key. */
export function displayNameOf(raw: string): string {
  return raw.normalize("NFC").split(/[/\\]/).pop()!.trim();
}

function cleanFilename(raw: string): string {
  const name = displayNameOf(raw);
  if (name.length === 0 || name.length > MAX_FILENAME_LENGTH || /\p{Cc}/u.test(name)) {
    throw badInput(`Filename must be 1 to ${MAX_FILENAME_LENGTH} printable characters.`, { field: "filename" });
  }
  return name;
}

export function encodeCursor(image: Pick<ImageRecord, "createdAt" | "id">): string {
  return Buffer.from(`${image.createdAt}:${image.id}`).toString("base64url");
}

function decodeCursor(cursor: string): ImageCursor {
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{16})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!match) throw badInput("Invalid cursor.", { field: "after" });
  return { createdAt: Number(match[1]), id: match[2]! };
}
