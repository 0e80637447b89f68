import { unauthenticated } from "../errors.js";
import type { AccountStore } from "../ports/account-store.js";
import type { AccountDeletion } from "./account-deletion.service.js";
import type { AccountService } from "./account.service.js";
import type { Viewer } from "./credential.service.js";

/** What a user does to their own account beyond logging in: change the password, delete everything. */
export class OwnAccountService {
  constructor(
    private readonly accounts: AccountService,
    private readonly store: AccountStore,
    private readonly deletion: AccountDeletion,
  ) {}

  /**
   * Sets a new password (same rules as at registration) after checking the current one. Every other session of
   * the user is revoked; the session or key making the change, and all API keys, are kept.
   */
  async changePassword(viewer: Viewer, current: string, next: string): Promise<void> {
    const account = await this.accounts.checkPassword(viewer, current);
    const hash = await this.accounts.hashNewPassword(next);
    if (!(await this.store.updatePasswordHash(account.usernameKey, hash))) throw unauthenticated();
    for (const session of await this.store.listSessions(viewer.userId)) {
      if (session.secretHash !== viewer.credential.secretHash) await this.store.deleteCredential(session);
    }
  }

  /** Deletes the viewer's account and everything of it (AccountDeletion), after checking the password. */
  async deleteAccount(viewer: Viewer, password: string): Promise<void> {
    const account = await this.accounts.checkPassword(viewer, password);
    await this.accounts.ensureProfile(account);
    await this.deletion.deleteUser(account.userId, account.usernameKey);
  }
}
