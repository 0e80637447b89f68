import type { BlobStore } from "../ports/blob-store.js";
import type { ImageStore } from "../ports/image-store.js";
import type { UserDirectory } from "../ports/user-directory.js";
import type { AccountDeletion } from "./account-deletion.service.js";
import { isWellFormedId } from "./credentials.js";
import { type ImageService, TICKET_TTL_MS, storageKeyFor, uploadKeyFor } from "./image.service.js";

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
  ) {}

  async sweep(options: { dryRun: boolean }): Promise<SweepReport> {
    const report: SweepReport = {
      dryRun: options.dryRun,
      scanned: 0,
      orphansDeleted: [],
      deletesFinished: [],
      relisted: [],
      accountDeletionsFinished: await this.finishAccountDeletions(options.dryRun),
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
    for await (const object of this.blobs.list(storageKeyFor(""))) {
      report.scanned += 1;
      const id = object.key.slice(storageKeyFor("").length);
      const image = isWellFormedId(id) ? await this.images.findImage(id) : null;
      if (!image || image.key !== object.key) {
        // Promoted but never recorded (a crash in completeUpload), or a key we never issue: garbage once old
        // enough that its ticket cannot be completed any more.
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

  private async finishAccountDeletions(dryRun: boolean): Promise<string[]> {
    if (this.accounts === null) return [];
    if (dryRun) return (await this.accounts.users.pendingDeletions()).map((p) => p.userId);
    return this.accounts.deletion.finishPending();
  }
}
