import { badInput, notFound } from "../errors.js";
import type { AlbumChanges, AlbumCursor, AlbumRecord, AlbumStore } from "../ports/album-store.js";
import type { ImageRecord, Visibility } from "../ports/image-store.js";
import type { Viewer } from "./credential.service.js";
import { isWellFormedId, newId } from "./credentials.js";
import { MAX_PAGE_SIZE } from "./image-cursor.js";
import type { ImageService } from "./image.service.js";

/** Limits that keep one album (and one request about it) small enough to handle in one step. */
const ALBUM_LIMITS = {
  titleLength: 200,
  descriptionLength: 2000,
  imagesPerAlbum: 1000,
  /** Ids per addToAlbum / removeFromAlbum call. */
  idsPerCall: 100,
  albumsPerUser: 1000,
} as const;

export interface AlbumInput {
  title: string;
  description?: string | null;
  visibility?: Visibility;
}

export interface AlbumPage {
  albums: AlbumRecord[];
  hasMore: boolean;
  totalCount: number;
}

export interface AlbumImagePage {
  images: { image: ImageRecord; cursor: string }[];
  hasMore: boolean;
  totalCount: number;
}

/**
 * Albums: ordered sets of their owner's images. A PUBLIC album is readable by anyone with its id and shows every
 * image in it, private ones too (the album grants them); a PRIVATE one only by its owner (or a share link). Every
 * change is the owner's alone: for anyone else an album or image is NOT_FOUND, never "forbidden".
 */
export class AlbumService {
  private readonly now: () => number;

  constructor(
    private readonly albums: AlbumStore,
    private readonly images: ImageService,
    private readonly options: { publicUrl: string; now?: () => number },
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The album's page in the web app. */
  pageUrlFor(albumId: string): string {
    return `${this.options.publicUrl}/a/${albumId}`;
  }

  async createAlbum(viewer: Viewer, input: AlbumInput): Promise<AlbumRecord> {
    const album: AlbumRecord = {
      id: newId(),
      ownerId: viewer.userId,
      title: cleanTitle(input.title),
      description: cleanDescription(input.description ?? null),
      // Private unless asked: a public album shows its private images to anyone.
      visibility: input.visibility ?? "private",
      createdAt: this.now(),
    };
    if ((await this.albums.countAlbums(viewer.userId)) >= ALBUM_LIMITS.albumsPerUser)
      throw badInput(`You already have ${ALBUM_LIMITS.albumsPerUser} albums; delete one first.`);
    await this.albums.createAlbum(album);
    return album;
  }

  async updateAlbum(viewer: Viewer, albumId: string, input: Partial<AlbumInput>): Promise<AlbumRecord> {
    const album = await this.ownAlbum(viewer, albumId);
    const changes: AlbumChanges = {};
    if (input.title !== undefined) changes.title = cleanTitle(input.title);
    if (input.description !== undefined) changes.description = cleanDescription(input.description);
    if (input.visibility !== undefined) changes.visibility = input.visibility;
    if (!(await this.albums.updateAlbum(album.id, changes))) throw notFound("No such album.");
    return { ...album, ...changes };
  }

  /** The album goes; its images stay. Its share links answer 410 from then on. */
  async deleteAlbum(viewer: Viewer, albumId: string): Promise<void> {
    await this.albums.deleteAlbum(await this.ownAlbum(viewer, albumId));
  }

  /** Appends the caller's own images (each must be one; any other id fails the whole call, nothing added). */
  async addToAlbum(viewer: Viewer, albumId: string, imageIds: string[]): Promise<AlbumRecord> {
    const album = await this.ownAlbum(viewer, albumId);
    const ids = checkIds(imageIds, ALBUM_LIMITS.idsPerCall);
    await Promise.all(ids.map((id) => this.images.getOwnImage(viewer, id)));
    if (!(await this.albums.addImages(album.id, ids, ALBUM_LIMITS.imagesPerAlbum)))
      throw badInput(`An album holds at most ${ALBUM_LIMITS.imagesPerAlbum} images.`, { field: "imageIds" });
    return album;
  }

  async removeFromAlbum(viewer: Viewer, albumId: string, imageIds: string[]): Promise<AlbumRecord> {
    const album = await this.ownAlbum(viewer, albumId);
    await this.albums.removeImages(album.id, checkIds(imageIds, ALBUM_LIMITS.idsPerCall));
    return album;
  }

  /** `imageIds` is the album's new order: every image of the album, each once. */
  async reorderAlbum(viewer: Viewer, albumId: string, imageIds: string[]): Promise<AlbumRecord> {
    const album = await this.ownAlbum(viewer, albumId);
    const ids = checkIds(imageIds, ALBUM_LIMITS.imagesPerAlbum);
    if (ids.length !== imageIds.length || !(await this.albums.reorder(album.id, ids)))
      throw badInput("imageIds must list every image of the album exactly once.", { field: "imageIds" });
    return album;
  }

  async listAlbums(viewer: Viewer, first: number, after: string | null): Promise<AlbumPage> {
    checkFirst(first);
    const cursor = after === null ? null : decodeAlbumCursor(after);
    const [page, totalCount] = await Promise.all([
      this.albums.listAlbums(viewer.userId, first, cursor),
      this.albums.countAlbums(viewer.userId),
    ]);
    return { ...page, totalCount };
  }

  /** A PUBLIC album, or the viewer's own; null otherwise. */
  async getAlbum(viewer: Viewer | null, albumId: string): Promise<AlbumRecord | null> {
    const album = await this.findAlbum(albumId);
    return album && (album.visibility === "public" || album.ownerId === viewer?.userId) ? album : null;
  }

  /** Any album, for a caller that has checked a grant (a share link). */
  findAlbum(albumId: string): Promise<AlbumRecord | null> {
    return isWellFormedId(albumId) ? this.albums.findAlbum(albumId) : Promise.resolve(null);
  }

  /** A page of the album's images in album order. Callers have decided the reader may see the album. */
  async albumImages(album: AlbumRecord, first: number, after: string | null): Promise<AlbumImagePage> {
    checkFirst(first);
    let position = after === null ? null : decodePosition(after);
    const found: { image: ImageRecord; cursor: string }[] = [];
    let hasMore = true;
    // Entries of images deleted a moment ago (or by a crashed delete) are skipped: keep reading until full.
    while (found.length < first && hasMore) {
      const page = await this.albums.listAlbumImages(album.id, first - found.length, position);
      const records = await Promise.all(page.entries.map((e) => this.images.getGrantedImage(e.imageId)));
      page.entries.forEach((entry, i) => {
        const image = records[i];
        if (image && image.ownerId === album.ownerId) found.push({ image, cursor: encodePosition(entry.position) });
      });
      hasMore = page.hasMore;
      position = page.entries.at(-1)?.position ?? position;
      if (page.entries.length === 0) break;
    }
    return { images: found, hasMore, totalCount: await this.albums.albumSize(album.id) };
  }

  /** The first image of the album, or null when it is empty. */
  async cover(album: AlbumRecord): Promise<ImageRecord | null> {
    return (await this.albumImages(album, 1, null)).images[0]?.image ?? null;
  }

  /** Takes a deleted image out of every album (ImageService calls this while deleting). */
  forgetImage(imageId: string): Promise<void> {
    return this.albums.forgetImage(imageId);
  }

  /** Deletes every album of a user (for deleting the account); their images are not touched here. */
  async deleteAllAlbumsOf(userId: string): Promise<void> {
    for (const albumId of await this.albums.albumIdsOf(userId)) {
      const album = await this.albums.findAlbum(albumId);
      if (album && album.ownerId === userId) await this.albums.deleteAlbum(album);
    }
  }

  /** The caller's album, or NOT_FOUND (also when it is someone else's). */
  async ownAlbum(viewer: Viewer, albumId: string): Promise<AlbumRecord> {
    const album = await this.findAlbum(albumId);
    if (!album || album.ownerId !== viewer.userId) throw notFound("No such album.");
    return album;
  }
}

function cleanTitle(raw: string): string {
  const title = raw.normalize("NFC").trim();
  if (title.length === 0 || title.length > ALBUM_LIMITS.titleLength || /\p{Cc}/u.test(title))
    throw badInput(`Title must be 1 to ${ALBUM_LIMITS.titleLength} printable characters.`, { field: "title" });
  return title;
}

function cleanDescription(raw: string | null): string | null {
  if (raw === null) return null;
  const description = raw.normalize("NFC").trim();
  if (description.length > ALBUM_LIMITS.descriptionLength || hasControlCharacters(description))
    throw badInput(`Description must be at most ${ALBUM_LIMITS.descriptionLength} characters.`, {
      field: "description",
    });
  return description.length === 0 ? null : description;
}

/** Control characters other than newline and tab (which a description may have). */
function hasControlCharacters(text: string): boolean {
  return [...text].some((c) => /\p{Cc}/u.test(c) && c !== "\n" && c !== "\t");
}

/** Well-formed ids without repeats, at most `max`; a malformed id is NOT_FOUND like any id that is not yours. */
function checkIds(imageIds: string[], max: number): string[] {
  if (imageIds.length > max) throw badInput(`At most ${max} image ids at a time.`, { field: "imageIds" });
  if (!imageIds.every(isWellFormedId)) throw notFound("No such image.");
  return [...new Set(imageIds)];
}

function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE)
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}.`, { field: "first" });
}

export function encodeAlbumCursor(album: Pick<AlbumRecord, "createdAt" | "id">): string {
  return Buffer.from(`a:${album.createdAt}:${album.id}`).toString("base64url");
}

function decodeAlbumCursor(cursor: string): AlbumCursor {
  const match = /^a:(\d{1,15}):([A-Za-z0-9_-]{16})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!match) throw badInput("Invalid cursor.", { field: "after" });
  return { createdAt: Number(match[1]), id: match[2]! };
}

function encodePosition(position: number): string {
  return Buffer.from(`p:${position}`).toString("base64url");
}

function decodePosition(cursor: string): number {
  const match = /^p:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!match) throw badInput("Invalid cursor.", { field: "after" });
  return Number(match[1]);
}
