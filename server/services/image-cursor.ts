import { badInput } from "../errors.js";
import type { ImageCursor, ImageRecord } from "../ports/image-store.js";

/** Paging through a user's images: opaque cursors (creation time and id) and the page size limit. */

/** SEC-7: the largest page a client may ask for. */
export const MAX_PAGE_SIZE = 100;

/** The cursor that continues after `image`. */
export function encodeCursor(image: Pick<ImageRecord, "createdAt" | "id">): string {
  return Buffer.from(`${image.createdAt}:${image.id}`).toString("base64url");
}

/** The position a cursor from `encodeCursor` names; BAD_USER_INPUT for anything else. */
export function decodeCursor(cursor: string): ImageCursor {
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{16})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!match) throw badInput("Invalid cursor.", { field: "after" });
  return { createdAt: Number(match[1]), id: match[2]! };
}
