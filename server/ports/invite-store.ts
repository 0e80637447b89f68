/**
 * Invites for `REGISTRATION=invite`. Implemented by `server/redis/redis-invite-store.ts`. An invite is stored under
 * the SHA-256 of its code; the code itself is never stored. Times are milliseconds since epoch.
 */
export interface InviteStore {
  /** Lists the invite, then stores it under its code's hash (a crash in between leaves a dead listed id). */
  createInvite(invite: InviteRecord): Promise<void>;
  /** Every listed invite whose record exists, oldest first. */
  listInvites(): Promise<InviteRecord[]>;
  /** An invite by its public id, or null. */
  findInvite(inviteId: string): Promise<InviteRecord | null>;
  /**
   * Atomically takes the invite for `claimant` (a username key): only one of any number of concurrent calls gets
   * it. Returns null when the code is unknown, used (or claimed), or expired at `now`.
   */
  claimInvite(codeHash: string, claimant: string, now: number): Promise<InviteRecord | null>;
  /** Gives a claim back (the registration failed after claiming), only if `claimant` still holds it. */
  releaseInvite(codeHash: string, claimant: string): Promise<void>;
  /** Records who used the claimed invite. */
  confirmInvite(codeHash: string, usedBy: string, usedAt: number): Promise<void>;
  /** Makes the code unusable, then unlists it. */
  deleteInvite(invite: Pick<InviteRecord, "id" | "codeHash">): Promise<void>;
}

export interface InviteRecord {
  /** Public id, for revokeInvite. */
  id: string;
  /** Hex SHA-256 of the code. */
  codeHash: string;
  note: string;
  /** Username of the admin who made it. */
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  /** When a registration took it; null while unused. */
  usedAt: number | null;
  /** Username that registered with it (a username key while the registration is still running). */
  usedBy: string | null;
}
