/**
 * What `imagehost export` reads from the server: every image of the viewer, every album with the ids of its images
 * (so each image can name the albums it is in), and an image's latest state while it is still processing.
 */
import type { AlbumImageIdsQuery, MyAlbumsQuery } from "../client/generated/graphql.js";
import type { Image, ImageHostClient } from "../client/image-host-client.js";

export interface ExportAlbum {
  id: string;
  title: string;
  description: string | null;
  visibility: string;
  createdAt: string;
  url: string;
  /** In album order. */
  imageIds: string[];
}

/** The server's page limit for myImages, myAlbums and Album.images. */
const PAGE = 100;

export async function listImages(client: ImageHostClient): Promise<Image[]> {
  const images: Image[] = [];
  for await (const image of client.allImages(PAGE)) images.push(image);
  return images;
}

export async function listAlbums(client: ImageHostClient): Promise<ExportAlbum[]> {
  const albums: ExportAlbum[] = [];
  let after: string | null = null;
  for (;;) {
    const page: MyAlbumsQuery["myAlbums"] = (await client.sdk.MyAlbums({ first: PAGE, after })).myAlbums;
    for (const album of page.nodes) {
      const imageIds = await albumImageIds(client, album.id);
      // Deleted while we were listing: it no longer exists, so it is not exported.
      if (imageIds === null) continue;
      const { id, title, description, visibility, createdAt, url } = album;
      albums.push({ id, title, description: description ?? null, visibility, createdAt, url, imageIds });
    }
    if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor == null) return albums;
    after = page.pageInfo.endCursor;
  }
}

async function albumImageIds(client: ImageHostClient, albumId: string): Promise<string[] | null> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const album: AlbumImageIdsQuery["album"] = (await client.sdk.AlbumImageIds({ id: albumId, first: PAGE, after }))
      .album;
    if (!album) return null;
    ids.push(...album.images.nodes.map((image) => image.id));
    const next: string | null | undefined = album.images.pageInfo.endCursor;
    if (!album.images.pageInfo.hasNextPage || next == null) return ids;
    after = next;
  }
}

/** image id → the albums it is in, as `{ id, title }`. */
export function albumsOfImages(albums: ExportAlbum[]): Map<string, { id: string; title: string }[]> {
  const byImage = new Map<string, { id: string; title: string }[]>();
  for (const album of albums) {
    for (const imageId of album.imageIds) {
      const list = byImage.get(imageId) ?? [];
      list.push({ id: album.id, title: album.title });
      byImage.set(imageId, list);
    }
  }
  return byImage;
}

/**
 * The image once it has left PROCESSING, or as it is at `deadline` (still PROCESSING); null when it was deleted
 * meanwhile. Polls: processing takes seconds, and a subscription would be more machinery than a backup needs.
 */
export async function awaitProcessed(client: ImageHostClient, image: Image, deadline: number): Promise<Image | null> {
  let current: Image | null = image;
  let delay = 250;
  while (current !== null && current.status === "PROCESSING" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
    delay = Math.min(delay * 2, 2000);
    current = await client.image(image.id);
  }
  return current;
}
