import type { BlobStore } from "../ports/blob-store.js";
import type { ImageStore } from "../ports/image-store.js";
import { isWellFormedId } from "./credentials.js";
import { type ImageService, TICKET_TTL_MS } from "./image.service.js";

/** What one sweep found and (unless dry-run) did. Lists hold storage keys or image ids. */
export interface SweepReport {
  dryRun: boolean;
  scanned: number;
  /** Objects with no image record whose ticket must have expired: uploads never completed, or rejected. */
  orphansDeleted: string[];
  /** Images a crash left marked "deleting": bytes and record removed now. */
  deletesFinished: string[];
  /** Recorded images a crash left out of their owner's list: listed now. */
  relisted: string[];
}

/** An object this young may belong to a ticket that can still be completed. */
const ORPHAN_AGE_MS = TICKET_TTL_MS + 5 * 60_000;

/**
 * Repairs what crashes and abandoned uploads leave behind (S16): walks every stored object and compares it with
 * the metadata. Safe to run at any time and on any node, also concurrently with traffic.
 */
export class Sweeper {
  constructor(
    private readonly images: ImageStore,
    private readonly blobs: BlobStore,
    private readonly imageService: ImageService,
    private readonly now: () => number = Date.now,
  ) {}

  async sweep(options: { dryRun: boolean }): Promise<SweepReport> {
    const report: SweepReport = { dryRun: options.dryRun, scanned: 0, orphansDeleted: [], deletesFinished: [], relisted: [] };
    const cutoff = this.now() - ORPHAN_AGE_MS;
    for await (const object of this.blobs.list("img/")) {
      report.scanned += 1;
      const id = object.key.slice("img/".length);
      const image = isWellFormedId(id) ? await this.images.findImage(id) : null;
      if (!image || image.key !== object.key) {
        // Keys we never issue are garbage too, but only once they are old enough not to be an upload in flight.
        if (object.lastModified < cutoff) {
          report.orphansDeleted.push(object.key);
          if (!options.dryRun) await this.blobs.delete(object.key);
        }
      } else if (image.status === "deleting") {
        report.deletesFinished.push(image.id);
        if (!options.dryRun) await this.imageService.finishDelete(image);
      } else if (!(await this.images.isListed(image))) {
        report.relisted.push(image.id);
        if (!options.dryRun) await this.images.listImage(image);
      }
    }
    return report;
  }
}
