import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountRecord, AccountStore, CredentialRecord } from "../../server/ports/account-store.js";
import type { AlbumStore } from "../../server/ports/album-store.js";
import type { ImageStore } from "../../server/ports/image-store.js";
import type { InviteStore } from "../../server/ports/invite-store.js";
import type { RateLimitStore } from "../../server/ports/rate-limit-store.js";
import type { UserDirectory } from "../../server/ports/user-directory.js";
import { hashSecret, newId, newSecret } from "../../server/services/credentials.js";
import { defineImageScanContract } from "./image-scan-store.js";
import { defineImageStoreContract } from "./image-store.js";
import { atMost, image, ticket } from "./metadata-records.js";
import { defineUserAdminStoreContract } from "./user-admin-store.js";

/** One implementation of every metadata port, all on the same backend. */
export interface MetadataStores {
  readonly accounts: AccountStore;
  readonly images: ImageStore;
  readonly limits: RateLimitStore;
  readonly invites: InviteStore;
  readonly users: UserDirectory;
  readonly albums: AlbumStore;
}

export interface MetadataStoreHarness {
  readonly stores: MetadataStores;
  /** Releases what `open` made (connections, servers). */
  close(): Promise<void>;
}

/**
 * The whole behaviour of a metadata store (accounts, credentials, tickets, images, abuse counters, invites, user
 * profiles), through its ports only: any implementation passes it or is wrong. Run against a single Redis and
 * against Redis Cluster (test/contract/redis-*.test.ts): the same code must pass both, with no CROSSSLOT error.
 */
export function defineMetadataStoreContract(name: string, open: () => Promise<MetadataStoreHarness>) {
  describe(`metadata store contract: ${name}`, () => {
    let stores: MetadataStores;
    let close: () => Promise<void>;
    let accounts: AccountStore;
    let images: ImageStore;
    let limits: RateLimitStore;

    beforeAll(async () => {
      ({ stores, close } = await open());
      ({ accounts, images, limits } = stores);
    });
    afterAll(() => close?.());

    const account = (key = `u${newId().toLowerCase()}`): AccountRecord => ({
      userId: newId(),
      username: key.toUpperCase(),
      usernameKey: key,
      passwordHash: "$2b$10$abcdefghijklmnopqrstuv",
      createdAt: Date.now(),
    });
    const credential = (
      userId: string,
      kind: CredentialRecord["kind"],
      extra: Partial<CredentialRecord> = {},
    ): CredentialRecord => ({
      id: newId(),
      kind,
      secretHash: hashSecret(newSecret()),
      userId,
      username: "someone",
      name: kind === "session" ? "session" : "laptop",
      createdAt: Date.now(),
      lastUsedAt: null,
      expiresAt: kind === "session" ? Date.now() + 3_600_000 : null,
      ...extra,
    });
    describe("accounts", () => {
      it("creates an account once, atomically, and finds it by its key", async () => {
        const record = account();
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => accounts.createAccount({ ...record, userId: `${record.userId}${i}` })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const found = await accounts.findAccount(record.usernameKey);
        expect(found).toEqual({ ...record, userId: `${record.userId}${results.indexOf(true)}` });
        expect(await accounts.findAccount(`missing${newId().toLowerCase()}`)).toBeNull();
      });
    });

    describe("credentials", () => {
      it("saves, finds and deletes sessions; a touch never resurrects a deleted one", async () => {
        const session = credential(newId(), "session");
        await accounts.saveCredential(session);
        expect(await accounts.findCredential(session.secretHash)).toEqual(session);
        await accounts.touchCredential(session.secretHash, 1234, session.expiresAt! + 1000);
        expect(await accounts.findCredential(session.secretHash)).toMatchObject({
          lastUsedAt: 1234,
          expiresAt: session.expiresAt! + 1000,
        });
        await accounts.deleteCredential(session);
        await accounts.touchCredential(session.secretHash, 5678, null);
        expect(await accounts.findCredential(session.secretHash)).toBeNull();
      });

      it("lists a user's API keys oldest first, not sessions, and unlists revoked ones", async () => {
        const userId = newId();
        const a = credential(userId, "api_key", { createdAt: 1000, name: "a" });
        const b = credential(userId, "api_key", { createdAt: 2000, name: "b" });
        await accounts.saveCredential(b);
        await accounts.saveCredential(a);
        await accounts.saveCredential(credential(userId, "session"));
        expect((await accounts.listApiKeys(userId)).map((k) => k.name)).toEqual(["a", "b"]);
        expect(await accounts.findApiKey(userId, a.id)).toEqual(a);
        expect(await accounts.findApiKey(newId(), a.id)).toBeNull();
        await accounts.deleteCredential(a);
        expect((await accounts.listApiKeys(userId)).map((k) => k.name)).toEqual(["b"]);
        expect(await accounts.findCredential(a.secretHash)).toBeNull();
      });

      it("forgets sessions at their expiry", async () => {
        const session = credential(newId(), "session", { expiresAt: Date.now() + 300 });
        await accounts.saveCredential(session);
        expect(await accounts.findCredential(session.secretHash)).not.toBeNull();
        const deadline = Date.now() + 5000;
        while ((await accounts.findCredential(session.secretHash)) !== null) {
          expect(Date.now()).toBeLessThan(deadline);
          await new Promise((r) => setTimeout(r, 50));
        }
      });

      it("answers readiness", async () => {
        await expect(accounts.checkReady()).resolves.toBeUndefined();
      });
    });

    describe("upload tickets", () => {
      it("opens at most maxOpen live tickets per user and finds only the owner's", async () => {
        const userId = newId();
        const opened = [];
        for (let i = 0; i < 4; i++) opened.push(await images.openTicket(ticket(userId), atMost(3)));
        expect(opened).toEqual(["opened", "opened", "opened", "too-many-open"]);
        const t = ticket(userId, { declaredBytes: null });
        expect(await images.openTicket(t, atMost(10))).toBe("opened");
        expect(await images.findTicket(userId, t.uploadId)).toEqual(t);
        expect(await images.findTicket(newId(), t.uploadId)).toBeNull();
      });

      it("does not count expired tickets against the limit", async () => {
        const userId = newId();
        expect(await images.openTicket(ticket(userId, { expiresAt: Date.now() + 150 }), atMost(1))).toBe("opened");
        expect(await images.openTicket(ticket(userId), atMost(1))).toBe("too-many-open");
        await new Promise((r) => setTimeout(r, 200));
        expect(await images.openTicket(ticket(userId), atMost(1))).toBe("opened");
      });
    });

    describe("quota reservations (issue 15)", () => {
      it("lets no number of concurrent openings pass the image quota; listing settles, expiry frees", async () => {
        const userId = newId();
        const limits = { maxOpen: 100, quotaImages: 2, quotaBytes: 2 ** 50 };
        const tickets = Array.from({ length: 8 }, () => ticket(userId, { expiresAt: Date.now() + 60_000 }));
        const openings = await Promise.all(tickets.map((t) => images.openTicket(t, limits)));
        expect(openings.filter((o) => o === "opened")).toHaveLength(2);
        expect(openings.filter((o) => o === "image-quota")).toHaveLength(6);
        // Listing one converts its reservation into usage: still no room.
        const first = tickets[openings.indexOf("opened")]!;
        const listed = await images.createImage(image(userId, { id: first.uploadId, key: first.key, size: 10 }));
        await images.listImage(listed);
        expect(await images.openTicket(ticket(userId), limits)).toBe("image-quota");
        // A reservation that expires frees its place.
        const brief = newId();
        expect(
          await images.openTicket(ticket(brief, { expiresAt: Date.now() + 100 }), { ...limits, quotaImages: 1 }),
        ).toBe("opened");
        expect(await images.openTicket(ticket(brief), { ...limits, quotaImages: 1 })).toBe("image-quota");
        await new Promise((r) => setTimeout(r, 150));
        expect(await images.openTicket(ticket(brief), { ...limits, quotaImages: 1 })).toBe("opened");
      });

      it("reserves each open ticket's maxBytes against the byte quota", async () => {
        const userId = newId();
        const limits = { maxOpen: 100, quotaImages: 1e9, quotaBytes: 250 };
        const openings = await Promise.all(
          Array.from({ length: 5 }, () => images.openTicket(ticket(userId, { maxBytes: 100 }), limits)),
        );
        expect(openings.filter((o) => o === "opened")).toHaveLength(2);
        expect(openings.filter((o) => o === "byte-quota")).toHaveLength(3);
        expect(await images.openTicket(ticket(userId, { maxBytes: 50, declaredBytes: 50 }), limits)).toBe("opened");
      });
    });

    defineImageStoreContract(() => stores);

    describe("abuse counters", () => {
      it("counts attempts per window and refunds down to zero", async () => {
        const bucket = `test:${newId()}`;
        const results = await Promise.all(Array.from({ length: 5 }, () => limits.consume(bucket, 3, 60_000)));
        expect(results.filter((r) => r.allowed)).toHaveLength(3);
        expect(Math.min(...results.map((r) => r.retryAfterMs))).toBeGreaterThan(55_000);
        for (let i = 0; i < 10; i++) await limits.refund(bucket);
        expect((await limits.consume(bucket, 1, 60_000)).allowed).toBe(true);
        expect((await limits.consume(bucket, 1, 60_000)).allowed).toBe(false);
      });

      it("starts a new window when the old one ends", async () => {
        const bucket = `test:${newId()}`;
        expect((await limits.consume(bucket, 1, 150)).allowed).toBe(true);
        expect((await limits.consume(bucket, 1, 150)).allowed).toBe(false);
        await new Promise((r) => setTimeout(r, 200));
        expect((await limits.consume(bucket, 1, 150)).allowed).toBe(true);
      });
    });

    defineUserAdminStoreContract(() => stores);
    defineImageScanContract(() => stores);
  });
}
