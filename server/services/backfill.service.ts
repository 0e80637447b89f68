import type { ImageRecord, ImageStore } from "../ports/image-store.js";
import type { ImageService } from "./image.service.js";

/** What one backfill found and (unless dry-run) did. Counts are images. */
export interface BackfillReport {
  dryRun: boolean;
  retryFailed: boolean;
  /** Live image records looked at (records being deleted are not counted). */
  scanned: number;
  /** Recorded before the pipeline existed, never processed: queued (or, dry-run, would be). */
  unprocessed: number;
  /** FAILED: queued again with --retry-failed, otherwise only counted. */
  failed: number;
  /** Already PROCESSING: their job is queued again, which adds nothing while it exists (see below). */
  processing: number;
  /** READY: nothing to do. */
  ready: number;
  /** Jobs this run queued for images that had none: unprocessed, plus failed with --retry-failed. */
  queued: number;
}

export interface BackfillOptions {
  dryRun: boolean;
  /** Queue FAILED images again too. */
  retryFailed: boolean;
  /** Told after each batch of the queueing phase: done of total. */
  onProgress?: (progress: { queued: number; total: number }) => void;
  /** Told after each page of the walk: records looked at so far. */
  onScan?: (scanned: number) => void;
}

/** Records looked at per page of the walk, and images queued at once (their Redis calls share round trips). */
const SCAN_PAGE = 500;
const QUEUE_BATCH = 50;

/**
 * `npm run backfill` (issue 13): processes the images recorded before the pipeline existed. They stay served from
 * their original bytes while they wait (the store keeps serving a legacy key in PROCESSING), so queueing them all
 * at once changes nothing users see until each job has made its public image.
 *
 * Idempotent and resumable without a cursor of its own: queueing moves an image to PROCESSING, so a second run
 * (or one after a crash) finds only what is left. An image a crash left PROCESSING between the mark and the
 * enqueue is queued again here (and by the sweeper); for one whose job exists that adds nothing.
 */
export class Backfill {
  constructor(
    private readonly images: ImageStore,
    private readonly imageService: ImageService,
  ) {}

  async run(options: BackfillOptions): Promise<BackfillReport> {
    const report: BackfillReport = {
      dryRun: options.dryRun,
      retryFailed: options.retryFailed,
      scanned: 0,
      unprocessed: 0,
      failed: 0,
      processing: 0,
      ready: 0,
      queued: 0,
    };
    // Walk first, queue after: the total for the progress line, and no record is looked at twice because the
    // walk met it again after this run changed it.
    const toQueue = new Set<string>();
    const inProcessing = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { ids: string[]; cursor: string | null } = await this.images.scanImageIds(cursor, SCAN_PAGE);
      cursor = page.cursor;
      const records = await Promise.all(page.ids.map((id) => this.images.findImage(id)));
      for (const image of records) {
        if (!image || image.status !== "live" || toQueue.has(image.id) || inProcessing.has(image.id)) continue;
        report.scanned += 1;
        const state = stateOf(image);
        report[state] += 1;
        if (state === "unprocessed" || (state === "failed" && options.retryFailed)) toQueue.add(image.id);
        if (state === "processing") inProcessing.add(image.id);
      }
      options.onScan?.(report.scanned);
    } while (cursor !== null);
    if (options.dryRun) return report;

    const ids = [...toQueue];
    options.onProgress?.({ queued: 0, total: ids.length });
    for (let start = 0; start < ids.length; start += QUEUE_BATCH) {
      const batch = ids.slice(start, start + QUEUE_BATCH);
      const results = await Promise.all(batch.map((id) => this.imageService.reprocess(id)));
      // Deleted (or processed by someone else) since the walk: nothing was queued for it.
      report.queued += results.filter((r) => r?.status === "live" && r.processing?.status === "PROCESSING").length;
      options.onProgress?.({ queued: Math.min(start + batch.length, ids.length), total: ids.length });
    }
    for (const id of inProcessing) await this.imageService.reprocess(id);
    return report;
  }
}

function stateOf(image: ImageRecord): "unprocessed" | "failed" | "processing" | "ready" {
  switch (image.processing?.status) {
    case undefined:
      return "unprocessed";
    case "FAILED":
      return "failed";
    case "PROCESSING":
      return "processing";
    case "READY":
      return "ready";
  }
}
