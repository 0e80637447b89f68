import { describe, expect, it } from "vitest";
import type { CredentialRecord } from "../../server/ports/account-store.js";
import type { InviteRecord } from "../../server/ports/invite-store.js";
import type { UserProfile } from "../../server/ports/user-directory.js";
import { hashSecret, newId, newSecret } from "../../server/services/credentials.js";
import type { MetadataStores } from "./metadata-store.js";

/**
 * Invites, user profiles and session lists (issue 20), part of the metadata-store contract: the same code must
 * pass on every implementation (on Redis: single and Cluster, no CROSSSLOT), and one invite must go to one claimant only.
 */
export function defineUserAdminStoreContract(stores: () => MetadataStores) {
  const invites = () => stores().invites;
  const users = () => stores().users;
  const accounts = () => stores().accounts;

  const invite = (extra: Partial<InviteRecord> = {}): InviteRecord => ({
    id: newId(),
    codeHash: hashSecret(newSecret()),
    note: "n",
    createdBy: "admin",
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    usedAt: null,
    usedBy: null,
    ...extra,
  });
  const profile = (extra: Partial<UserProfile> = {}): UserProfile => {
    const key = `p${newId().toLowerCase()}`;
    return {
      userId: newId(),
      username: key,
      usernameKey: key,
      createdAt: Date.now(),
      lastSeenAt: null,
      disabled: false,
      deleting: false,
      ...extra,
    };
  };

  describe("invites", () => {
    it("gives one invite to exactly one of many concurrent claimants, until released", async () => {
      const record = invite();
      await invites().createInvite(record);
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => invites().claimInvite(record.codeHash, `c${i}`, Date.now())),
      );
      const winners = claims.filter((c) => c !== null);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.usedBy!;
      await invites().releaseInvite(record.codeHash, "someone-else");
      expect(await invites().claimInvite(record.codeHash, "late", Date.now())).toBeNull();
      await invites().releaseInvite(record.codeHash, winner);
      expect(await invites().claimInvite(record.codeHash, "late", Date.now())).not.toBeNull();
      await invites().confirmInvite(record.codeHash, "Late", 42);
      expect(await invites().findInvite(record.id)).toMatchObject({ usedBy: "Late", usedAt: 42 });
    });

    it("refuses expired, unknown and deleted invites and unlists deleted ones", async () => {
      const expired = invite({ expiresAt: Date.now() - 1 });
      await invites().createInvite(expired);
      expect(await invites().claimInvite(expired.codeHash, "a", Date.now())).toBeNull();
      expect(await invites().claimInvite(hashSecret(newSecret()), "a", Date.now())).toBeNull();
      const gone = invite();
      await invites().createInvite(gone);
      expect((await invites().listInvites()).some((i) => i.id === gone.id)).toBe(true);
      await invites().deleteInvite(gone);
      expect(await invites().claimInvite(gone.codeHash, "a", Date.now())).toBeNull();
      expect(await invites().findInvite(gone.id)).toBeNull();
      expect((await invites().listInvites()).some((i) => i.id === gone.id)).toBe(false);
    });
  });

  describe("user directory", () => {
    it("saves, blocks, pages newest first with search, and forgets removed profiles", async () => {
      const base = Date.now() + 10_000_000;
      const tag = newId()
        .toLowerCase()
        .replace(/[^a-z0-9]/g, "x");
      const made = [0, 1, 2].map((i) =>
        profile({ username: `${tag}${i}`, usernameKey: `${tag}${i}`, createdAt: base + i }),
      );
      for (const p of made) await users().saveProfile(p);
      expect(await users().findProfile(made[0]!.userId)).toEqual(made[0]);
      expect(await users().isBlocked(made[0]!.userId)).toBe(false);
      expect(await users().setDisabled(made[0]!.userId, true)).toBe(true);
      expect(await users().isBlocked(made[0]!.userId)).toBe(true);
      expect(await users().setDisabled(newId(), true)).toBe(false);

      const page1 = await users().listProfiles(2, null, tag);
      expect(page1.profiles.map((p) => p.userId)).toEqual([made[2]!.userId, made[1]!.userId]);
      expect(page1.hasMore).toBe(true);
      const last = page1.profiles[1]!;
      const page2 = await users().listProfiles(2, { createdAt: last.createdAt, userId: last.userId }, tag);
      expect(page2.profiles.map((p) => p.userId)).toEqual([made[0]!.userId]);
      expect(page2.hasMore).toBe(false);

      await users().markDeleting(made[1]!.userId, made[1]!.usernameKey);
      expect(await users().isBlocked(made[1]!.userId)).toBe(true);
      expect(await users().pendingDeletions()).toContainEqual({
        userId: made[1]!.userId,
        usernameKey: made[1]!.usernameKey,
      });
      expect((await users().listProfiles(10, null, tag)).profiles).toHaveLength(2);
      await users().removeProfile(made[1]!.userId);
      // Still blocked while pending, though its profile is gone.
      expect(await users().isBlocked(made[1]!.userId)).toBe(true);
      await users().clearPending(made[1]!.userId);
      expect(await users().isBlocked(made[1]!.userId)).toBe(false);
      expect(await users().allUserIds()).not.toContain(made[1]!.userId);
    });
  });

  describe("session lists", () => {
    it("lists live sessions, follows touches, unlists deleted ones, and drops the lists", async () => {
      const userId = newId();
      const session = (): CredentialRecord => ({
        id: newId(),
        kind: "session",
        secretHash: hashSecret(newSecret()),
        userId,
        username: "someone",
        name: "session",
        createdAt: Date.now(),
        lastUsedAt: null,
        expiresAt: Date.now() + 60_000,
      });
      const [a, b] = [session(), session()];
      await accounts().saveCredential(a);
      await accounts().saveCredential(b);
      expect((await accounts().listSessions(userId)).map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
      await accounts().touchCredential(a.secretHash, Date.now(), Date.now() + 120_000, userId);
      await accounts().deleteCredential(b);
      expect((await accounts().listSessions(userId)).map((s) => s.id)).toEqual([a.id]);
      await accounts().deleteCredential(a);
      await accounts().dropCredentialLists(userId);
      expect(await accounts().listSessions(userId)).toEqual([]);
    });
  });
}
