/**
 * The metadata store, share-links half. Implemented by `server/redis/redis-share-link-store.ts`. Times are
 * milliseconds since epoch. A link is stored under the SHA-256 of its token (never the token), like an API key.
 */
export interface ShareLinkStore {
  /** Writes the link, then indexes it under its owner and its target. */
  createLink(link: ShareLinkRecord): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<ShareLinkRecord | null>;
  /** The owner's link with that id, or null. */
  findById(ownerId: string, linkId: string): Promise<ShareLinkRecord | null>;
  /** The owner's links to one target, newest first. */
  listForTarget(ownerId: string, target: ShareTarget): Promise<ShareLinkRecord[]>;
  /** How many links the owner has. */
  countLinks(ownerId: string): Promise<number>;
  /** Sets revokedAt unless already set; false when there is no such link. */
  revoke(tokenHash: string, at: number): Promise<boolean>;
  /**
   * Counts one view, atomically, if the link is live at `now`: not revoked, not expired, fewer than maxViews views
   * so far. However many requests race, no more than maxViews of them get "counted".
   */
  consumeView(
    tokenHash: string,
    now: number,
  ): Promise<{ outcome: "counted"; link: ShareLinkRecord } | { outcome: "gone" | "unknown" }>;
  /** Removes every link of the owner (for deleting an account). */
  deleteAllOf(ownerId: string): Promise<void>;
}

export interface ShareTarget {
  kind: "image" | "album";
  id: string;
}

export interface ShareLinkRecord {
  id: string;
  ownerId: string;
  tokenHash: string;
  target: ShareTarget;
  note: string | null;
  /** Null: never expires. */
  expiresAt: number | null;
  /** Null: no limit. */
  maxViews: number | null;
  views: number;
  createdAt: number;
  revokedAt: number | null;
}
