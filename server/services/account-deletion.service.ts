import type { AccountStore } from "../ports/account-store.js";
import type { BlobStore } from "../ports/blob-store.js";
import type { ImageStore } from "../ports/image-store.js";
import type { RateLimitStore } from "../ports/rate-limit-store.js";
import type { UserDirectory } from "../ports/user-directory.js";
import { legacyKeyFor, uploadKeyFor } from "./image-keys.js";
import type { ImageService } from "./image.service.js";

/** Images deleted at once while removing an account: bounded, so one big account cannot hog the store. */
const PARALLEL_DELETES = 8;

export interface AccountDeletionPorts {
  accounts: AccountStore;
  users: UserDirectory;
  imageStore: ImageStore;
  blobs: BlobStore;
  limits: RateLimitStore;
  /** Its `finishDelete` removes an image's bytes (and whatever else the pipeline stores for it) and record. */
  images: ImageService;
  albums: { deleteAllAlbumsOf(userId: string): Promise<void> };
  shares: { deleteAllShareLinksOf(userId: string): Promise<void> };
}

/**
 * Removes everything of a user: credentials, share links, albums, images with their bytes, open uploads, counters,
 * profile, and last the account itself, so the username is free again only when nothing of the user remains. Crash-safe: the first
 * step records the deletion as pending (which also blocks every credential of the user at once); every later step
 * is idempotent, and `npm run sweep` finishes pending deletions.
 */
export class AccountDeletion {
  constructor(private readonly ports: AccountDeletionPorts) {}

  /** Starts and finishes the deletion of the user. */
  async deleteUser(userId: string, usernameKey: string): Promise<void> {
    await this.ports.users.markDeleting(userId, usernameKey);
    await this.finish(userId, usernameKey);
  }

  /** Finishes every deletion a crash interrupted; returns the user ids finished. */
  async finishPending(): Promise<string[]> {
    const finished: string[] = [];
    for (const { userId, usernameKey } of await this.ports.users.pendingDeletions()) {
      await this.finish(userId, usernameKey);
      finished.push(userId);
    }
    return finished;
  }

  private async finish(userId: string, usernameKey: string): Promise<void> {
    const { accounts, users, limits } = this.ports;
    const credentials = [...(await accounts.listApiKeys(userId)), ...(await accounts.listSessions(userId))];
    for (const credential of credentials) await accounts.deleteCredential(credential);
    await accounts.dropCredentialLists(userId);
    // Links first, so nothing of the user can be reached through them while the rest goes.
    await this.ports.shares.deleteAllShareLinksOf(userId);
    await this.ports.albums.deleteAllAlbumsOf(userId);
    await this.deleteImages(userId);
    await this.deleteUploads(userId);
    await this.ports.imageStore.dropUserIndexes(userId);
    await limits.reset(`login-user:${usernameKey}`);
    await users.removeProfile(userId);
    await accounts.deleteAccount(usernameKey, userId);
    await users.clearPending(userId);
  }

  private async deleteImages(userId: string): Promise<void> {
    const { imageStore, images } = this.ports;
    const ids = await imageStore.listAllImageIds(userId);
    await inBatches(ids, PARALLEL_DELETES, async (id) => {
      const image = await imageStore.findImage(id);
      if (image && image.ownerId === userId) await images.finishDelete(image);
    });
  }

  /**
   * Open (or lapsed but still listed) uploads: their bytes under `up/`, and under `img/` when a crash promoted
   * them without recording the image (an upload id is the id of the image it becomes).
   */
  private async deleteUploads(userId: string): Promise<void> {
    const { imageStore, images, blobs } = this.ports;
    const ids = await imageStore.listAllTicketIds(userId);
    await inBatches(ids, PARALLEL_DELETES, async (id) => {
      const image = await imageStore.findImage(id);
      if (image && image.ownerId === userId) await images.finishDelete(image);
      else if (!image) await blobs.delete(legacyKeyFor(id));
      await blobs.delete(uploadKeyFor(id));
      await imageStore.dropTicket(userId, id);
    });
  }
}

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}
