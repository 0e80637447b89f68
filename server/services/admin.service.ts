import { badInput, forbidden, notFound } from "../errors.js";
import type { InviteRecord } from "../ports/invite-store.js";
import type { ImageStore } from "../ports/image-store.js";
import type { UserCursor, UserDirectory, UserProfile } from "../ports/user-directory.js";
import type { AccountDeletion } from "./account-deletion.service.js";
import type { Viewer } from "./credential.service.js";
import { isWellFormedId } from "./credentials.js";
import type { ImageService } from "./image.service.js";
import type { CreatedInvite, InviteService, NewInvite } from "./invite.service.js";

/** One line of the admin audit trail: who did what to what. */
interface AuditEntry {
  action: string;
  actorId: string;
  actor: string;
  targetId: string;
  target?: string;
  [detail: string]: unknown;
}

/** Where admin actions are recorded (the server's log). */
export type AuditLog = (entry: AuditEntry) => void;

export interface UserSummary {
  profile: UserProfile;
  isAdmin: boolean;
  imageCount: number;
  bytesUsed: number;
}

export interface UserPage {
  users: UserSummary[];
  hasMore: boolean;
}

export interface AdminServicePorts {
  users: UserDirectory;
  imageStore: ImageStore;
  images: ImageService;
  invites: InviteService;
  deletion: AccountDeletion;
  isAdminName: (username: string) => boolean;
}

const MAX_USER_PAGE = 100;
const MAX_SEARCH_LENGTH = 32;
/** Usage counters read at once while totalling the instance. */
const STATS_BATCH = 50;

/**
 * What admins (ADMIN_USERNAMES) may do: see and stop users, take images down, manage invites. Everyone else gets
 * FORBIDDEN from every method, and every change is written to the audit log with who made it.
 */
export class AdminService {
  constructor(
    private readonly ports: AdminServicePorts,
    private readonly audit: AuditLog,
  ) {}

  async listUsers(viewer: Viewer, first: number, after: string | null, search: string | null): Promise<UserPage> {
    requireAdmin(viewer);
    if (!Number.isInteger(first) || first < 0 || first > MAX_USER_PAGE) {
      throw badInput(`first must be between 0 and ${MAX_USER_PAGE}.`, { field: "first" });
    }
    const needle = search?.trim().toLowerCase() || null;
    if (needle !== null && needle.length > MAX_SEARCH_LENGTH) {
      throw badInput(`search must be at most ${MAX_SEARCH_LENGTH} characters.`, { field: "search" });
    }
    const cursor = after === null ? null : decodeUserCursor(after);
    const page = await this.ports.users.listProfiles(first, cursor, needle);
    return { users: await Promise.all(page.profiles.map((p) => this.summarize(p))), hasMore: page.hasMore };
  }

  /** A disabled user's keys and sessions are refused from the next request on, on every node. */
  async setUserDisabled(viewer: Viewer, userId: string, disabled: boolean): Promise<UserSummary> {
    requireAdmin(viewer);
    if (userId === viewer.userId) throw badInput("You cannot disable your own account.", { field: "id" });
    const profile = await this.liveProfile(userId);
    await this.ports.users.setDisabled(userId, disabled);
    this.log(viewer, disabled ? "user.disable" : "user.enable", userId, profile.username);
    return this.summarize({ ...profile, disabled });
  }

  /** Deletes the user and everything of theirs, as deleteAccount does. */
  async deleteUser(viewer: Viewer, userId: string): Promise<void> {
    requireAdmin(viewer);
    if (userId === viewer.userId) throw badInput("Delete your own account with deleteAccount.", { field: "id" });
    const profile = await this.liveProfile(userId);
    this.log(viewer, "user.delete", userId, profile.username);
    await this.ports.deletion.deleteUser(profile.userId, profile.usernameKey);
  }

  /** Takes any user's image down: its link stops working at once. */
  async deleteImage(viewer: Viewer, imageId: string): Promise<void> {
    requireAdmin(viewer);
    const image = await this.ports.images.getGrantedImage(imageId);
    if (!image) throw notFound("No such image.");
    this.log(viewer, "image.delete", imageId, undefined, { ownerId: image.ownerId });
    await this.ports.images.finishDelete(image);
  }

  async instanceStats(viewer: Viewer): Promise<{ users: number; images: number; bytes: number }> {
    requireAdmin(viewer);
    const ids = await this.ports.users.allUserIds();
    let images = 0;
    let bytes = 0;
    for (let i = 0; i < ids.length; i += STATS_BATCH) {
      const usages = await Promise.all(ids.slice(i, i + STATS_BATCH).map((id) => this.ports.imageStore.usage(id)));
      for (const usage of usages) {
        images += usage.images;
        bytes += usage.bytes;
      }
    }
    return { users: ids.length, images, bytes };
  }

  async createInvite(viewer: Viewer, input: NewInvite): Promise<CreatedInvite> {
    requireAdmin(viewer);
    const created = await this.ports.invites.create(viewer.username, input);
    this.log(viewer, "invite.create", created.record.id, undefined, { expiresAt: created.record.expiresAt });
    return created;
  }

  listInvites(viewer: Viewer): Promise<InviteRecord[]> {
    requireAdmin(viewer);
    return this.ports.invites.list();
  }

  async revokeInvite(viewer: Viewer, inviteId: string): Promise<void> {
    requireAdmin(viewer);
    await this.ports.invites.revoke(inviteId);
    this.log(viewer, "invite.revoke", inviteId);
  }

  /**
   * Profile and usage of one user, for fields of `User` beyond id and name. Only called for users the caller may
   * see (the viewer, or anyone for an admin); null when the user has no profile.
   */
  async summaryOf(userId: string): Promise<UserSummary | null> {
    const profile = await this.ports.users.findProfile(userId);
    return profile && this.summarize(profile);
  }

  private async summarize(profile: UserProfile): Promise<UserSummary> {
    const usage = await this.ports.imageStore.usage(profile.userId);
    return {
      profile,
      isAdmin: this.ports.isAdminName(profile.username),
      imageCount: usage.images,
      bytesUsed: usage.bytes,
    };
  }

  private async liveProfile(userId: string): Promise<UserProfile> {
    const profile = isWellFormedId(userId) ? await this.ports.users.findProfile(userId) : null;
    if (!profile || profile.deleting) throw notFound("No such user.");
    return profile;
  }

  private log(viewer: Viewer, action: string, targetId: string, target?: string, details: object = {}): void {
    this.audit({ action, actorId: viewer.userId, actor: viewer.username, targetId, target, ...details });
  }
}

function requireAdmin(viewer: Viewer): void {
  if (!viewer.isAdmin) throw forbidden("Only admins may do this.");
}

export function encodeUserCursor(profile: Pick<UserProfile, "createdAt" | "userId">): string {
  return Buffer.from(`${profile.createdAt}:${profile.userId}`).toString("base64url");
}

function decodeUserCursor(cursor: string): UserCursor {
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{16})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!match) throw badInput("Invalid cursor.", { field: "after" });
  return { createdAt: Number(match[1]), userId: match[2]! };
}
