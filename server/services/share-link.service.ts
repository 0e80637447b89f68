import { randomBytes } from "node:crypto";
import { badInput, notFound } from "../errors.js";
import type { AlbumRecord } from "../ports/album-store.js";
import type { ShareLinkRecord, ShareLinkStore, ShareTarget } from "../ports/share-link-store.js";
import type { AccessGrants } from "./access-grants.js";
import type { Viewer } from "./credential.service.js";
import type { AlbumService } from "./album.service.js";
import { hashSecret, isWellFormedId, newId } from "./credentials.js";
import type { ImageService } from "./image.service.js";

const SHARE_LIMITS = {
  linksPerUser: 1000,
  noteLength: 200,
  maxViews: 1_000_000,
  /** The furthest expiry accepted, ms from now (about ten years). */
  maxLifetimeMs: 10 * 366 * 24 * 3600_000,
} as const;

/** 256 random bits, base64url: unguessable, and stored only as its SHA-256. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface ShareLinkInput {
  imageId?: string | null;
  albumId?: string | null;
  expiresAt?: number | null;
  maxViews?: number | null;
  note?: string | null;
}

/** What opening a share link comes to. `gone`: expired, used up, revoked, or its target deleted (410). */
export type OpenedShareLink =
  | { kind: "image"; downloadUrl: string }
  | { kind: "album"; albumId: string; grant: string }
  | { kind: "gone" }
  | { kind: "unknown" };

/**
 * Share links: several independent links per image or album, each with its own expiry, view limit and note, each
 * revocable. `open` is the one place that decides whether a link works (the redirect cache of issue 16 must wrap
 * it, never copy its checks).
 */
export class ShareLinkService {
  private readonly now: () => number;

  constructor(
    private readonly links: ShareLinkStore,
    private readonly images: ImageService,
    private readonly albums: AlbumService,
    private readonly grants: AccessGrants,
    private readonly options: { publicUrl: string; now?: () => number },
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The link handed out: only at creation, as the token is not stored. */
  urlFor(token: string): string {
    return `${this.options.publicUrl}/s/${token}`;
  }

  async createShareLink(viewer: Viewer, input: ShareLinkInput): Promise<{ link: ShareLinkRecord; token: string }> {
    const target = await this.ownTarget(viewer, input);
    const now = this.now();
    const expiresAt = input.expiresAt ?? null;
    if (
      expiresAt !== null &&
      (!Number.isFinite(expiresAt) || expiresAt <= now || expiresAt > now + SHARE_LIMITS.maxLifetimeMs)
    )
      throw badInput("expiresAt must be in the future (and within ten years).", { field: "expiresAt" });
    const maxViews = input.maxViews ?? null;
    if (maxViews !== null && (!Number.isSafeInteger(maxViews) || maxViews < 1 || maxViews > SHARE_LIMITS.maxViews))
      throw badInput(`maxViews must be from 1 to ${SHARE_LIMITS.maxViews}.`, { field: "maxViews" });
    const note = input.note?.normalize("NFC").trim() || null;
    if (note !== null && (note.length > SHARE_LIMITS.noteLength || /\p{Cc}/u.test(note)))
      throw badInput(`The note must be at most ${SHARE_LIMITS.noteLength} printable characters.`, { field: "note" });
    if ((await this.links.countLinks(viewer.userId)) >= SHARE_LIMITS.linksPerUser)
      throw badInput(`You already have ${SHARE_LIMITS.linksPerUser} share links.`);

    const token = randomBytes(32).toString("base64url");
    const link: ShareLinkRecord = {
      id: newId(),
      ownerId: viewer.userId,
      tokenHash: hashSecret(token),
      target,
      note,
      expiresAt,
      maxViews,
      views: 0,
      createdAt: now,
      revokedAt: null,
    };
    await this.links.createLink(link);
    return { link, token };
  }

  /** The caller's links to one of their images or albums, newest first. */
  async listShareLinks(viewer: Viewer, input: Pick<ShareLinkInput, "imageId" | "albumId">): Promise<ShareLinkRecord[]> {
    return this.links.listForTarget(viewer.userId, await this.ownTarget(viewer, input));
  }

  /** Stops the link at once, on every node (the check reads Redis on every request). Idempotent. */
  async revokeShareLink(viewer: Viewer, linkId: string): Promise<ShareLinkRecord> {
    const link = isWellFormedId(linkId) ? await this.links.findById(viewer.userId, linkId) : null;
    if (!link) throw notFound("No such share link.");
    const at = this.now();
    await this.links.revoke(link.tokenHash, at);
    return { ...link, revokedAt: link.revokedAt ?? at };
  }

  /** Opens `/s/<token>`: counts the view (atomically, never past maxViews) and says where it leads. */
  async open(token: string): Promise<OpenedShareLink> {
    if (!TOKEN_PATTERN.test(token)) return { kind: "unknown" };
    const result = await this.links.consumeView(hashSecret(token), this.now());
    if (result.outcome !== "counted") return { kind: result.outcome };
    const { target, id } = result.link;
    if (target.kind === "image") {
      const downloadUrl = await this.images.links.granted(target.id);
      return downloadUrl === null ? { kind: "gone" } : { kind: "image", downloadUrl };
    }
    const album = await this.albums.findAlbum(target.id);
    if (!album) return { kind: "gone" };
    return { kind: "album", albumId: album.id, grant: `${id}.${this.grants.issue("album", `${album.id}:${id}`)}` };
  }

  /**
   * The album a share link opened, for the page it led to: the grant must be this album's, and the link still
   * unrevoked and unexpired (views are not counted again). Null otherwise.
   */
  async albumByGrant(albumId: string, grant: string): Promise<AlbumRecord | null> {
    const dot = grant.indexOf(".");
    const linkId = grant.slice(0, dot);
    if (
      dot < 0 ||
      !isWellFormedId(linkId) ||
      !this.grants.verify("album", `${albumId}:${linkId}`, grant.slice(dot + 1))
    )
      return null;
    const album = await this.albums.findAlbum(albumId);
    if (!album) return null;
    const link = await this.links.findById(album.ownerId, linkId);
    const live =
      link !== null &&
      link.target.kind === "album" &&
      link.target.id === albumId &&
      link.revokedAt === null &&
      (link.expiresAt === null || link.expiresAt > this.now());
    return live ? album : null;
  }

  /** Removes every link of a user (for deleting the account). */
  deleteAllShareLinksOf(userId: string): Promise<void> {
    return this.links.deleteAllOf(userId);
  }

  private async ownTarget(viewer: Viewer, input: Pick<ShareLinkInput, "imageId" | "albumId">): Promise<ShareTarget> {
    const { imageId, albumId } = input;
    if ((imageId == null) === (albumId == null))
      throw badInput("Give exactly one of imageId and albumId.", { field: imageId == null ? "imageId" : "albumId" });
    if (imageId != null) return { kind: "image", id: (await this.images.getOwnImage(viewer, imageId)).id };
    return { kind: "album", id: (await this.albums.ownAlbum(viewer, albumId!)).id };
  }
}
