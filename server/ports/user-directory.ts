/**
 * The metadata store, users-by-id half: profiles for the admin listing, the disabled switch, and markers of
 * account deletions in progress. Implemented by `server/redis/redis-user-directory.ts`. Times are milliseconds
 * since epoch. Adapters throw `DependencyUnavailableError("redis")` when the store cannot be reached.
 */
export interface UserDirectory {
  /**
   * Writes the profile and lists it (listed first: a crash in between leaves an index entry that listing skips
   * and the next save repairs).
   */
  saveProfile(profile: UserProfile): Promise<void>;
  findProfile(userId: string): Promise<UserProfile | null>;
  /** True when the user is disabled or being deleted: one round trip, on every authenticated request. */
  isBlocked(userId: string): Promise<boolean>;
  /** Sets the switch on an existing profile; false when there is none. */
  setDisabled(userId: string, disabled: boolean): Promise<boolean>;
  /** Records a request of the user (callers do this at most once a minute per credential). */
  recordSeen(userId: string, at: number): Promise<void>;
  /**
   * Newest first, strictly after the cursor. `search` (already case-folded) keeps only usernames containing it.
   */
  listProfiles(
    first: number,
    after: UserCursor | null,
    search: string | null,
  ): Promise<{ profiles: UserProfile[]; hasMore: boolean }>;
  /** Every listed user's id (for instance totals). */
  allUserIds(): Promise<string[]>;

  /**
   * Step one of deleting an account: recorded as pending (so `npm run sweep` finishes it after a crash), then
   * the profile is marked, which blocks every credential of the user at once.
   */
  markDeleting(userId: string, usernameKey: string): Promise<void>;
  /** Users whose deletion started and did not finish. */
  pendingDeletions(): Promise<{ userId: string; usernameKey: string }[]>;
  /** Unlists and drops the profile. */
  removeProfile(userId: string): Promise<void>;
  /** Last step of a deletion: no longer pending. */
  clearPending(userId: string): Promise<void>;
}

export interface UserProfile {
  userId: string;
  username: string;
  usernameKey: string;
  createdAt: number;
  /** null = not seen since profiles were recorded. */
  lastSeenAt: number | null;
  disabled: boolean;
  /** Set by the first step of a deletion; never cleared. */
  deleting: boolean;
}

export interface UserCursor {
  createdAt: number;
  userId: string;
}
