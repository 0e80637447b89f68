/**
 * The metadata store, accounts half: accounts and credentials (images and tickets: `image-store.ts`). Implemented
 * by `server/redis/redis-account-store.ts`; every method is safe to retry. Times are milliseconds since epoch.
 * Adapters throw `DependencyUnavailableError("redis")` when the store cannot be reached.
 */
export interface AccountStore {
  /**
   * Creates the account unless its username key is taken. Atomic: of two concurrent calls for one name exactly
   * one returns true.
   */
  createAccount(account: AccountRecord): Promise<boolean>;
  /** The account for a normalized (case-folded) username, or null. */
  findAccount(usernameKey: string): Promise<AccountRecord | null>;
  /** Replaces the password hash of an existing account; false when there is none. */
  updatePasswordHash(usernameKey: string, passwordHash: string): Promise<boolean>;
  /**
   * Frees the username: drops the account if it still belongs to `userId`. The last step of deleting a user.
   */
  deleteAccount(usernameKey: string, userId: string): Promise<void>;

  /**
   * Stores a credential under the SHA-256 of its secret. API keys and sessions are also listed under their owner;
   * they are listed before they can authenticate, so a crash between the two writes leaves a harmless
   * listed-but-dead entry.
   */
  saveCredential(credential: CredentialRecord): Promise<void>;
  /**
   * The credential whose secret hashes to `secretHash`, or null when absent or revoked. The store drops expired
   * credentials by itself, but may return one in the moments before it does: callers check `expiresAt`.
   */
  findCredential(secretHash: string): Promise<CredentialRecord | null>;
  /**
   * Records use of a credential: `lastUsedAt`, and for sessions a new `expiresAt` (idle timeout), also in the
   * owner's session list when `userId` is given.
   */
  touchCredential(secretHash: string, usedAt: number, expiresAt: number | null, userId?: string): Promise<void>;
  /** Makes the credential unusable from the next request on; removes an API key from its owner's list. */
  deleteCredential(credential: Pick<CredentialRecord, "secretHash" | "userId" | "kind" | "id">): Promise<void>;
  /** The user's API keys (not sessions), in creation order. */
  listApiKeys(userId: string): Promise<CredentialRecord[]>;
  /** One of the user's API keys by its public id, or null. */
  findApiKey(userId: string, keyId: string): Promise<CredentialRecord | null>;
  /** The user's live login sessions (listed as they are saved, unlisted as they expire or are revoked). */
  listSessions(userId: string): Promise<CredentialRecord[]>;
  /** Drops the user's (by then empty) key and session lists. */
  dropCredentialLists(userId: string): Promise<void>;

  /** Resolves when the store answers; throws DependencyUnavailableError otherwise. */
  checkReady(): Promise<void>;
}

export interface AccountRecord {
  userId: string;
  /** As the user typed it (after NFKC). */
  username: string;
  /** Case-folded username: the unique key. */
  usernameKey: string;
  passwordHash: string;
  createdAt: number;
}

export type CredentialKind = "api_key" | "session";

export interface CredentialRecord {
  /** Public id, safe to show and to pass to `revokeApiKey`. */
  id: string;
  kind: CredentialKind;
  /** Hex SHA-256 of the secret; the secret itself is never stored. */
  secretHash: string;
  userId: string;
  username: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** null = never expires. */
  expiresAt: number | null;
}
