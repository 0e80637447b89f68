import type { Visibility } from "./image-store.js";

/**
 * The metadata store, albums half. Implemented by `server/redis/redis-album-store.ts`. Times are milliseconds since
 * epoch. An album holds image ids in an order; the images themselves live in the image store, and an image may be
 * in several albums. Changes spanning two hash slots (album ↔ image, album ↔ owner) are ordered so that a crash
 * between the steps leaves only a stale index entry, which readers skip and later writes clean up.
 */
export interface AlbumStore {
  /** Writes the album, then lists it under its owner. */
  createAlbum(album: AlbumRecord): Promise<void>;
  findAlbum(albumId: string): Promise<AlbumRecord | null>;
  /** Changes the given fields of an existing album; false when there is none. */
  updateAlbum(albumId: string, changes: AlbumChanges): Promise<boolean>;
  /** The owner's albums, newest first, strictly after `after` when given. Stale entries are skipped. */
  listAlbums(
    ownerId: string,
    first: number,
    after: AlbumCursor | null,
  ): Promise<{ albums: AlbumRecord[]; hasMore: boolean }>;
  /** How many albums the owner has. */
  countAlbums(ownerId: string): Promise<number>;
  /** Every album id of the owner (for deleting an account). */
  albumIdsOf(ownerId: string): Promise<string[]>;
  /** The album and its order go first (it stops being readable), then the owner's and the images' index entries. */
  deleteAlbum(album: AlbumRecord): Promise<void>;

  /**
   * Appends the images not yet in the album, in the given order, unless the album would then hold more than
   * `maxSize`. Returns false (nothing changed) at the limit. Ids already in it keep their place.
   */
  addImages(albumId: string, imageIds: string[], maxSize: number): Promise<boolean>;
  /** Takes the images out of the album (absent ones are ignored). */
  removeImages(albumId: string, imageIds: string[]): Promise<void>;
  /** Sets the order: `imageIds` must be exactly the album's images, each once; else false and nothing changed. */
  reorder(albumId: string, imageIds: string[]): Promise<boolean>;
  /** Image ids in album order, `first` of them after position `after` (exclusive); positions are opaque numbers. */
  listAlbumImages(
    albumId: string,
    first: number,
    after: number | null,
  ): Promise<{ entries: { imageId: string; position: number }[]; hasMore: boolean }>;
  /** Number of images in the album. */
  albumSize(albumId: string): Promise<number>;
  /** Takes a deleted image out of every album holding it. */
  forgetImage(imageId: string): Promise<void>;
}

export interface AlbumRecord {
  id: string;
  ownerId: string;
  title: string;
  /** Null when none was given. */
  description: string | null;
  /** PUBLIC: anyone with the id sees the album and all its images, private ones too. */
  visibility: Visibility;
  createdAt: number;
}

export type AlbumChanges = Partial<Pick<AlbumRecord, "title" | "description" | "visibility">>;

export interface AlbumCursor {
  createdAt: number;
  id: string;
}
