import { AppError, assertNever, ErrorCode, badInput, conflict, notFound, payloadTooLarge } from "../errors.js";
import type { BlobStore, UploadTarget } from "../ports/blob-store.js";
import type { ImageRecord, ImageStore, UploadTicketRecord, Visibility } from "../ports/image-store.js";
import type { JobQueue } from "../ports/job-queue.js";
import type { Viewer } from "./credential.service.js";
import { isWellFormedId, newId } from "./credentials.js";
import { cleanFilename, displayNameOf } from "./display-name.js";
import { ALLOWED_IMAGE_TYPES, isAllowedImageType } from "./image-inspection.js";
import { originalKeyFor, uploadKeyFor } from "./image-keys.js";
import type { ImageService } from "./image.service.js";
import { type VerifiedUpload, verifyAndPromote } from "./upload-verification.js";
import { formatBytes } from "../../client/units.js";

export interface UploadServiceOptions {
  /** Largest image, bytes. */
  maxUploadBytes: number;
  /** SEC-13: open upload tickets per user. */
  maxOpenTickets: number;
  /** SEC-13: images per user. */
  quotaImages: number;
  /** SEC-13: stored bytes per user. */
  quotaBytes: number;
  /** Told how each verification of an upload ended, for metrics. */
  onUploadOutcome?: (outcome: "completed" | "rejected" | "failed") => void;
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

/** What a client sends back of an issued upload, to be compared with it (see completeEchoedUpload). */
export interface EchoedUpload {
  key: string;
  filename: string;
  contentType: string;
}

export interface IssuedUpload {
  ticket: UploadTicketRecord;
  target: UploadTarget;
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

/**
 * The upload flow (docs/architecture.md "The upload flow"): tickets, quota, completion claims and the check of the
 * bytes; a verified upload becomes an image through `ImageService.recordUpload`. Knows nothing of HTTP, Redis or
 * S3 calls.
 */
export class UploadService {
  private readonly now: () => number;

  constructor(
    private readonly images: ImageStore,
    private readonly blobs: BlobStore,
    private readonly catalog: ImageService,
    private readonly jobs: JobQueue,
    private readonly options: UploadServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
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
      const done = isWellFormedId(uploadId) ? await this.images.findImage(uploadId) : null;
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
    let verified: VerifiedUpload;
    try {
      verified = await verifyAndPromote(this.blobs, ticket, finalKey);
    } catch (error) {
      const rejected =
        error instanceof AppError &&
        (error.code === ErrorCode.BAD_USER_INPUT || error.code === ErrorCode.PAYLOAD_TOO_LARGE);
      this.options.onUploadOutcome?.(rejected ? "rejected" : "failed");
      throw error;
    }
    const image = await this.catalog.recordUpload(ticket, finalKey, verified);
    this.options.onUploadOutcome?.("completed");
    return image;
  }

  /**
   * completeUpload for clients that send back what requestUpload handed out (the REST dialect's `key`, `filename`,
   * `mime_type`): the echo must match the ticket, or on a retry after success the image; BAD_USER_INPUT otherwise.
   * The echoed key is only compared: the upload completes with the key the server issued.
   */
  async completeEchoedUpload(
    viewer: Viewer,
    uploadId: string,
    echoed: EchoedUpload,
    signal?: AbortSignal,
  ): Promise<ImageRecord> {
    const ticket = await this.findTicket(viewer, uploadId);
    if (ticket !== null) assertSameUpload(echoed, ticket);
    // Without a live ticket this is a retry (completeUpload hands back the caller's image) or a 404.
    const image = await this.completeUpload(viewer, uploadId, signal);
    // The key handed out was where to upload; the image now lives at its final key.
    if (ticket === null) assertSameUpload(echoed, { ...image, key: uploadKeyFor(image.id) });
    return image;
  }

  /** The ticket of an upload in progress, or null. */
  private async findTicket(viewer: Viewer, uploadId: string): Promise<UploadTicketRecord | null> {
    const ticket = isWellFormedId(uploadId) ? await this.images.findTicket(viewer.userId, uploadId) : null;
    return ticket && ticket.expiresAt > this.now() ? ticket : null;
  }
}

/** What upload/request handed out must come back unchanged; the stored values are the ones the server made. */
function assertSameUpload(sent: EchoedUpload, issued: { key: string; filename: string; contentType: string }): void {
  if (sent.key !== issued.key)
    throw badInput("key is not the one issued for this iid: send the key upload/request returned.");
  if (!sameDisplayName(sent.filename, issued.filename)) {
    throw badInput(`filename does not match the upload: it was requested as "${issued.filename}".`);
  }
  if (sent.contentType.trim().toLowerCase() !== issued.contentType) {
    throw badInput(`mime_type does not match the upload: it was requested as ${issued.contentType}.`);
  }
}

/**
 * The ticket keeps the display name the service made of the requested filename. Clients send back either that
 * name (from the upload/request answer) or the one they first sent; accept both.
 */
function sameDisplayName(sent: string, issued: string): boolean {
  return sent === issued || displayNameOf(sent) === issued;
}
