import { AppError, ErrorCode, badInput, notFound, unauthenticated } from "../errors.js";
import type { AccountStore, CredentialKind, CredentialRecord } from "../ports/account-store.js";
import type { UserDirectory } from "../ports/user-directory.js";
import { hashSecret, isWellFormedSecret, newId, newSecret } from "./credentials.js";

/** Who is calling, resolved from a credential; `credential` is the one the request used. */
export interface Viewer {
  userId: string;
  username: string;
  /** Listed in ADMIN_USERNAMES. */
  isAdmin: boolean;
  credential: CredentialRecord;
}

export interface IssuedCredential {
  /** Shown to the user once; only its hash is stored. */
  secret: string;
  record: CredentialRecord;
}

export interface CredentialServiceOptions {
  /** Case-folded usernames of the admins. */
  adminUsernames: readonly string[];
  /** A session expires after this many seconds without use. */
  sessionIdleSeconds: number;
  now?: () => number;
}

/** Writes of lastUsedAt (and a session's sliding expiry) happen at most this often per credential. */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_KEY_NAME_LENGTH = 64;
const MAX_API_KEYS_PER_USER = 100;

/**
 * The secrets a user holds once they have an account: login sessions and API keys. Resolves a presented secret to
 * a Viewer, issues and revokes both kinds. Passwords, registration and login are AccountService's.
 */
export class CredentialService {
  private readonly now: () => number;
  private readonly admins: ReadonlySet<string>;

  constructor(
    private readonly store: AccountStore,
    private readonly users: UserDirectory,
    private readonly options: CredentialServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.admins = new Set(options.adminUsernames);
  }

  /** True for a username listed in ADMIN_USERNAMES (any case). */
  isAdminName(username: string): boolean {
    return this.admins.has(username.toLowerCase());
  }

  /**
   * Resolves a presented secret to its user. Returns null when nothing was presented; throws UNAUTHENTICATED for
   * a malformed, unknown, revoked or expired secret so the client learns its key is bad instead of silently
   * acting anonymously.
   */
  async authenticate(secret: string | null): Promise<Viewer | null> {
    if (secret === null) return null;
    if (!isWellFormedSecret(secret)) throw unauthenticated("Invalid API key.");
    const credential = await this.store.findCredential(hashSecret(secret));
    const now = this.now();
    if (!credential || (credential.expiresAt !== null && credential.expiresAt <= now)) {
      throw unauthenticated("Invalid, revoked or expired API key.");
    }
    // Read on every request, not cached, so disabling takes effect on every node at once.
    if (await this.users.isBlocked(credential.userId)) throw accountDisabled();
    if (credential.lastUsedAt === null || now - credential.lastUsedAt >= TOUCH_INTERVAL_MS) {
      const expiresAt = credential.kind === "session" ? now + this.options.sessionIdleSeconds * 1000 : null;
      await this.store.touchCredential(credential.secretHash, now, expiresAt, credential.userId);
      await this.users.recordSeen(credential.userId, now);
      credential.lastUsedAt = now;
      if (expiresAt !== null) credential.expiresAt = expiresAt;
    }
    return {
      userId: credential.userId,
      username: credential.username,
      isAdmin: this.isAdminName(credential.username),
      credential,
    };
  }

  /** A new login session for a user whose password (or new account) was just checked. */
  startSession(userId: string, username: string): Promise<IssuedCredential> {
    return this.issue("session", userId, username, "session");
  }

  /** Revokes the credential the request used (session or API key), effective from the next request. */
  async logout(viewer: Viewer): Promise<void> {
    await this.store.deleteCredential(viewer.credential);
  }

  /**
   * Ends the login session `secret` names (a web app's cookie on logout, or the one a new login replaces). Only a
   * login session: a secret naming an API key (a cookie set by hand) never revokes that key; a malformed, unknown or
   * expired secret has nothing to end.
   */
  async endSession(secret: string): Promise<void> {
    try {
      const viewer = await this.authenticate(secret);
      if (viewer !== null && viewer.credential.kind === "session") await this.logout(viewer);
    } catch (error) {
      if (!(error instanceof AppError && error.code === ErrorCode.UNAUTHENTICATED)) throw error;
    }
  }

  async createApiKey(viewer: Viewer, rawName: string): Promise<IssuedCredential> {
    const name = rawName.normalize("NFKC").trim();
    if (name.length === 0 || name.length > MAX_KEY_NAME_LENGTH || /\p{Cc}/u.test(name)) {
      throw badInput(`Key name must be 1 to ${MAX_KEY_NAME_LENGTH} printable characters.`, { field: "name" });
    }
    if ((await this.store.listApiKeys(viewer.userId)).length >= MAX_API_KEYS_PER_USER) {
      throw badInput(`You already have ${MAX_API_KEYS_PER_USER} API keys; revoke one first.`);
    }
    return this.issue("api_key", viewer.userId, viewer.username, name);
  }

  /** Revokes one of the viewer's API keys. Someone else's key is NOT_FOUND, as is an unknown id. */
  async revokeApiKey(viewer: Viewer, keyId: string): Promise<void> {
    const key = await this.store.findApiKey(viewer.userId, keyId);
    if (!key) throw notFound("No such API key.");
    await this.store.deleteCredential(key);
  }

  listApiKeys(viewer: Viewer): Promise<CredentialRecord[]> {
    return this.store.listApiKeys(viewer.userId);
  }

  private async issue(kind: CredentialKind, userId: string, username: string, name: string): Promise<IssuedCredential> {
    const secret = newSecret();
    const now = this.now();
    const record: CredentialRecord = {
      id: newId(),
      kind,
      secretHash: hashSecret(secret),
      userId,
      username,
      name,
      createdAt: now,
      lastUsedAt: null,
      expiresAt: kind === "session" ? now + this.options.sessionIdleSeconds * 1000 : null,
    };
    await this.store.saveCredential(record);
    return { secret, record };
  }
}

/** Also what a login into a disabled account gets. */
export const accountDisabled = () => unauthenticated("This account is disabled.");
