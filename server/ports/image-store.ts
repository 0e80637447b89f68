/**
 * The metadata store, images half: upload tickets and image records. Implemented by
 * `server/redis/redis-image-store.ts`. Times are milliseconds since epoch, sizes bytes. Every method is safe to
 * retry; the ones that span two hash slots say how a crash between their steps is harmless.
 */
/** What `openTicket` checks: open tickets per user, images and bytes per user (live tickets included). */
export interface TicketLimits {
  maxOpen: number;
  quotaImages: number;
  quotaBytes: number;
}

export type TicketOpening = "opened" | "too-many-open" | "image-quota" | "byte-quota";

export interface ImageStore {
  /**
   * Stores the ticket unless, atomically, the user already has `maxOpen` live tickets (SEC-13) or the ticket would
   * pass a quota. Each live ticket reserves one image and its `maxBytes` on top of what the user's listed images
   * use, so no number of concurrent requests passes a quota. The reservation ends when the ticket is listed as an
   * image (`listImage`, which counts the real size) or expires; the ticket disappears by itself at `expiresAt`.
   */
  openTicket(ticket: UploadTicketRecord, limits: TicketLimits): Promise<TicketOpening>;
  /**
   * The user's ticket, or null (absent, used, or someone else's). Redis drops expired tickets by itself but may
   * return one in the moments before it does: callers check `expiresAt`.
   */
  findTicket(userId: string, uploadId: string): Promise<UploadTicketRecord | null>;

  /**
   * Claims the right to complete an upload for `ttlMs` ms, so concurrent completes do the storage work once.
   * Returns false while another claim holds. A crashed holder's claim runs out by itself.
   */
  claimCompletion(userId: string, uploadId: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back early. */
  releaseCompletion(userId: string, uploadId: string): Promise<void>;

  /**
   * Step one of recording a verified upload: creates the image record unless one exists, and returns the record
   * that exists afterwards, so of two concurrent completes one record wins and both get it.
   */
  createImage(image: ImageRecord): Promise<ImageRecord>;
  /**
   * Step two: lists the image under its owner, counts it against the quota and closes its ticket, all once
   * (idempotent). A crash between the steps leaves a public but unlisted image that completing again, or the
   * sweeper, finishes.
   */
  listImage(image: ImageRecord): Promise<void>;
  /** True when the image is in its owner's list. */
  isListed(image: ImageRecord): Promise<boolean>;

  /** The image record (live or being deleted), or null. */
  findImage(imageId: string): Promise<ImageRecord | null>;
  /**
   * Just what a redirect needs, for a live image only: the hot path reads a few fields, not the record. null when
   * there is nothing to serve (absent, deleting, FAILED); see ServableImage for PROCESSING and variants.
   */
  findServable(imageId: string): Promise<ServableImage | null>;
  /** Sets a live image's visibility; false when there is no live image with that id. */
  setVisibility(imageId: string, visibility: Visibility): Promise<boolean>;
  /** Newest first, strictly after `after` when given. */
  listImages(
    userId: string,
    first: number,
    after: ImageCursor | null,
  ): Promise<{ images: ImageRecord[]; hasMore: boolean }>;
  /** Images and bytes counted against the user's quota. */
  usage(userId: string): Promise<{ images: number; bytes: number }>;

  /**
   * READY: records what the worker made, in one write, only while the image is live and PROCESSING (so a late
   * retry cannot resurrect a deleted image). Returns the record afterwards, or null when there is none.
   */
  markReady(imageId: string, processed: ProcessedImage): Promise<ImageRecord | null>;
  /** FAILED with `reason`, only while live and PROCESSING. Returns the record afterwards, or null. */
  markFailed(imageId: string, reason: string): Promise<ImageRecord | null>;
  /**
   * PROCESSING again, for images recorded before the pipeline (processing null) or FAILED ones; READY and
   * PROCESSING images are left as they are. Returns the record afterwards, or null.
   */
  markProcessing(imageId: string): Promise<ImageRecord | null>;

  /** Step one of a delete: the image stops being served and listed as live. */
  markDeleting(imageId: string): Promise<void>;
  /**
   * Last step of a delete, after the bytes are gone: unlist and uncount (once), then drop the record. A crash
   * between the two leaves a record marked deleting that nothing serves; deleting again finishes it.
   */
  removeImage(image: ImageRecord): Promise<void>;

  /**
   * Reports every change any node makes to an image record (each method above that writes one announces it, as
   * part of the write itself: a writer stopped right after writing cannot leave it unannounced), for caches of what
   * records say. Resolves once watching has started; the returned function stops it.
   */
  watchChanges(listener: ImageChangeListener): Promise<() => Promise<void>>;

  /**
   * One page of a walk over every image record of every user, whatever its state, for `npm run backfill`. Start
   * with cursor null; the answer's cursor is null once the walk is done. About `count` records are looked at per
   * page (a page may hold fewer ids, even none, before the walk ends). An id may come twice; records created or
   * deleted during the walk may or may not come. The cursor is opaque and only valid on the same deployment.
   */
  scanImageIds(cursor: string | null, count: number): Promise<{ ids: string[]; cursor: string | null }>;

  /** For deleting an account: every image id listed under the user, whatever its state. */
  listAllImageIds(userId: string): Promise<string[]>;
  /** For deleting an account: every upload id the user's ticket list holds, expired ones too. */
  listAllTicketIds(userId: string): Promise<string[]>;
  /** Closes a ticket (record and list entry). */
  dropTicket(userId: string, uploadId: string): Promise<void>;
  /** Last step of deleting an account's images: drops its image list, ticket list and usage counters. */
  dropUserIndexes(userId: string): Promise<void>;
}

/** What the public link needs of a servable image. */
export type ServableImage = Pick<ImageRecord, "key" | "contentType" | "visibility"> & {
  /**
   * "serve": `key` is what the link redirects to (the public image once READY; a pre-pipeline image's bytes).
   * "processing": nothing to redirect to yet (the link answers 503).
   */
  state: "serve" | "processing";
  /** READY images' thumbnails by name (`w320`, ...); empty otherwise. */
  variants: Pick<ImageVariantRecord, "name" | "key" | "contentType">[];
};

/** How the image-changes feed reports to its listener. */
export interface ImageChangeListener {
  /** Some node changed what this image's record says (deleted, hidden, processed…). */
  changed(imageId: string): void;
  /** The feed is down: changes may be missed from now on. */
  lost(): void;
  /** The feed is (back) up: changes are reported again, but any made while it was down went unannounced. */
  restored(): void;
}

/** Records written before visibility existed have none: they read as "public", today's behaviour. */
export type Visibility = "public" | "private";

export interface UploadTicketRecord {
  /** Also the id of the image it becomes. */
  uploadId: string;
  userId: string;
  /** Storage key issued for this upload; the only one `completeUpload` looks at. */
  key: string;
  filename: string;
  contentType: string;
  /** Largest object accepted, bytes. */
  maxBytes: number;
  /** Size the client declared, bytes; null when it declared none. */
  declaredBytes: number | null;
  /** What the image will be once completed. */
  visibility: Visibility;
  createdAt: number;
  expiresAt: number;
}

export interface ImageRecord {
  id: string;
  ownerId: string;
  key: string;
  filename: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
  createdAt: number;
  /** Who may follow its public link: everyone, or nobody (the owner, albums and share links still reach it). */
  visibility: Visibility;
  /** "deleting" from the first step of a delete on: not served, not listed. */
  status: "live" | "deleting";
  /**
   * Where the image pipeline is with this image; null for images recorded before the pipeline existed, which are
   * served as uploaded until `npm run backfill` processes them.
   */
  processing: ProcessingRecord | null;
}

/** PROCESSING: queued or being worked on; READY: derivatives written and served; FAILED: not served. */
type ProcessingStatus = "PROCESSING" | "READY" | "FAILED";

export interface ProcessingRecord {
  status: ProcessingStatus;
  /** Why processing failed, in words for the owner; null unless FAILED. */
  failureReason: string | null;
  /** ThumbHash of the image, base64; null until READY. */
  placeholder: string | null;
  /** The sanitized public image (READY only): key, bytes. Its type is the record's contentType. */
  publicKey: string | null;
  publicSize: number | null;
  /** Thumbnails, smallest first; empty until READY. */
  variants: ImageVariantRecord[];
}

export interface ImageVariantRecord {
  /** Stable name in the public link `/image/<id>/<name>`, e.g. `w320`. */
  name: string;
  key: string;
  /** Pixels. */
  width: number;
  height: number;
  contentType: string;
  /** Bytes. */
  size: number;
}

/** What the worker made, recorded in one write when the image becomes READY. */
export interface ProcessedImage {
  /** Where the uploaded bytes are kept from now on (they may be deleted right after, unless kept). */
  originalKey: string;
  publicKey: string;
  /** Bytes of the public image. */
  publicSize: number;
  /** Pixels, after orientation. */
  width: number;
  height: number;
  placeholder: string;
  variants: ImageVariantRecord[];
}

export interface ImageCursor {
  createdAt: number;
  id: string;
}
