import type { BlobStore } from "../ports/blob-store.js";
import type { ImageRecord, ImageStore } from "../ports/image-store.js";
import type { UserDirectory } from "../ports/user-directory.js";
import type { AccountDeletion } from "./account-deletion.service.js";
import { imageIdOfKey, legacyKeyFor, originalKeyFor, uploadKeyFor } from "./image-keys.js";
import type { ImageService } from "./image.service.js";
import { TICKET_TTL_MS } from "./upload.service.js";

/** What one sweep found and (unless dry-run) did. Lists hold storage keys or image ids. */
export interface SweepReport {
  dryRun: boolean;
  scanned: number;
  /** Objects no record refers to, old enough that no ticket can still complete them. */
  orphansDeleted: string[];
  /** Images a crash left marked "deleting": bytes and record removed now. */
  deletesFinished: string[];
  /** Recorded images a crash left out of their owner's list: listed now. */
  relisted: string[];
  /** Images still PROCESSING: queued again (a no-op when their job exists), in case a crash lost it. */
  requeued: string[];
  /** Users whose account deletion a crash interrupted: finished now (before the objects are walked). */
  accountDeletionsFinished: string[];
}

/** What the sweeper needs to finish interrupted account deletions. */
export interface SweeperAccounts {
  users: UserDirectory;
  deletion: AccountDeletion;
}

/** An object this young may belong to a ticket that can still be completed. */
const ORPHAN_AGE_MS = TICKET_TTL_MS + 5 * 60_000;

/**
 * Repairs what crashes and abandoned uploads leave behind (SEC-16): walks every stored object and compares it with
 * the metadata. Safe to run at any time and on any node, also concurrently with traffic.
 */
export class Sweeper {
  constructor(
    private readonly images: ImageStore,
    private readonly blobs: BlobStore,
    private readonly imageService: ImageService,
    private readonly now: () => number = Date.now,
    /** null: leave account deletions alone (tests of the object walk alone). */
    private readonly accounts: SweeperAccounts | null = null,
    private readonly options: { keepOriginals: boolean } = { keepOriginals: false },
  ) {}

  async sweep(options: { dryRun: boolean }): Promise<SweepReport> {
    const report: SweepReport = {
      dryRun: options.dryRun,
      scanned: 0,
      orphansDeleted: [],
      deletesFinished: [],
      relisted: [],
      accountDeletionsFinished: await this.finishAccountDeletions(options.dryRun),
      requeued: [],
    };
    const cutoff = this.now() - ORPHAN_AGE_MS;
    // Uploads never completed (or rejected and left): nothing refers to `up/` keys once their ticket is gone.
    for await (const object of this.blobs.list(`${uploadKeyFor("")}`)) {
      report.scanned += 1;
      if (object.lastModified < cutoff) {
        report.orphansDeleted.push(object.key);
        if (!options.dryRun) await this.blobs.delete(object.key);
      }
    }
    // Per image, once: several objects (original, public image, thumbnails) belong to each.
    const seen = new Set<string>();
    for (const prefix of [originalKeyFor(""), legacyKeyFor("")]) {
      for await (const object of this.blobs.list(prefix)) {
        report.scanned += 1;
        const owner = imageIdOfKey(object.key);
        const image = owner ? await this.images.findImage(owner.imageId) : null;
        if (image?.status === "deleting") {
          if (seen.has(image.id)) continue;
          seen.add(image.id);
          report.deletesFinished.push(image.id);
          if (!options.dryRun) await this.imageService.finishDelete(image);
          continue;
        }
        if (!image || !this.belongs(image, object.key)) {
          // Derivatives are written only while their record exists: without one, the image is gone.
          const derivativeOfGone = !image && owner?.derived === true;
          // Otherwise promoted but never recorded (a crash in completeUpload), a key we never issue, or an
          // original a crash left after READY: garbage once old enough that no ticket or job can still need it.
          const processing = image?.status === "live" && image.processing?.status === "PROCESSING";
          if (derivativeOfGone || (object.lastModified < cutoff && !processing)) {
            report.orphansDeleted.push(object.key);
            if (!options.dryRun) await this.blobs.delete(object.key);
          }
          continue;
        }
        if (seen.has(image.id)) continue;
        seen.add(image.id);
        if (!(await this.images.isListed(image))) {
          report.relisted.push(image.id);
          if (!options.dryRun) await this.images.listImage(image);
        }
        if (image.processing?.status === "PROCESSING") {
          report.requeued.push(image.id);
          if (!options.dryRun) await this.imageService.reprocess(image.id);
        }
      }
    }
    return report;
  }

  private async finishAccountDeletions(dryRun: boolean): Promise<string[]> {
    if (this.accounts === null) return [];
    if (dryRun) return (await this.accounts.users.pendingDeletions()).map((p) => p.userId);
    return this.accounts.deletion.finishPending();
  }

  /** Whether `key` is one the record still needs: its bytes while they are kept, its public image, a thumbnail. */
  private belongs(image: ImageRecord, key: string): boolean {
    if (key === image.processing?.publicKey || image.processing?.variants.some((v) => v.key === key)) return true;
    if (key !== image.key) return false;
    // READY: the original was to be dropped unless kept; a crash can leave it behind.
    return image.processing?.status !== "READY" || this.options.keepOriginals;
  }
}
