import { randomBytes } from "node:crypto";
import { badInput, notFound } from "../errors.js";
import type { InviteRecord, InviteStore } from "../ports/invite-store.js";
import { hashSecret, newId } from "./credentials.js";

/** Invite codes: a recognisable prefix and 192 random bits. Only their SHA-256 is stored. */
const INVITE_PREFIX = "inv_";
const INVITE_PATTERN = /^inv_[A-Za-z0-9_-]{32}$/;
const DEFAULT_TTL_MS = 7 * 24 * 3600_000;
const MAX_TTL_MS = 366 * 24 * 3600_000;
const MAX_NOTE_LENGTH = 200;
const MAX_INVITES = 1000;

export interface NewInvite {
  /** null = a week from now. */
  expiresAt: Date | null;
  note: string | null;
}

export interface CreatedInvite {
  record: InviteRecord;
  /** Shown once, to the admin who made it. */
  code: string;
}

/** A taken invite: confirm it once the account exists, or release it if the registration fails after all. */
export interface InviteClaim {
  confirm(username: string): Promise<void>;
  release(): Promise<void>;
}

/** Invites for `REGISTRATION=invite`: made, listed and revoked by admins (AdminService), used once by register. */
export class InviteService {
  constructor(
    private readonly store: InviteStore,
    private readonly now: () => number = Date.now,
  ) {}

  async create(createdBy: string, input: NewInvite): Promise<CreatedInvite> {
    const now = this.now();
    const expiresAt = input.expiresAt === null ? now + DEFAULT_TTL_MS : input.expiresAt.getTime();
    if (!Number.isFinite(expiresAt) || expiresAt <= now || expiresAt > now + MAX_TTL_MS) {
      throw badInput("expiresAt must be in the future and at most a year away.", { field: "expiresAt" });
    }
    const note = (input.note ?? "").normalize("NFKC").trim();
    if (note.length > MAX_NOTE_LENGTH || /\p{Cc}/u.test(note)) {
      throw badInput(`The note must be at most ${MAX_NOTE_LENGTH} printable characters.`, { field: "note" });
    }
    if ((await this.store.listInvites()).length >= MAX_INVITES) {
      throw badInput(`There are already ${MAX_INVITES} invites; revoke some first.`);
    }
    const code = INVITE_PREFIX + randomBytes(24).toString("base64url");
    const record: InviteRecord = {
      id: newId(),
      codeHash: hashSecret(code),
      note,
      createdBy,
      createdAt: now,
      expiresAt,
      usedAt: null,
      usedBy: null,
    };
    await this.store.createInvite(record);
    return { record, code };
  }

  list(): Promise<InviteRecord[]> {
    return this.store.listInvites();
  }

  /** Makes the invite unusable (a used one just disappears from the list). Unknown ids are NOT_FOUND. */
  async revoke(inviteId: string): Promise<InviteRecord> {
    const invite = await this.store.findInvite(inviteId);
    if (!invite) throw notFound("No such invite.");
    await this.store.deleteInvite(invite);
    return invite;
  }

  /** Takes the invite for `claimant` (a username key); null when the code is malformed, unknown, used or expired. */
  async claim(code: string, claimant: string): Promise<InviteClaim | null> {
    const trimmed = code.trim();
    if (!INVITE_PATTERN.test(trimmed)) return null;
    const codeHash = hashSecret(trimmed);
    const invite = await this.store.claimInvite(codeHash, claimant, this.now());
    if (!invite) return null;
    return {
      confirm: (username) => this.store.confirmInvite(codeHash, username, this.now()),
      release: () => this.store.releaseInvite(codeHash, claimant),
    };
  }
}
