import type { AlbumRecord } from "../ports/album-store.js";
import type { CredentialRecord } from "../ports/account-store.js";
import type { ImageEvent as ImageEventRecord } from "../ports/image-events.js";
import { encodeAlbumCursor, type AlbumImagePage, type AlbumPage } from "../services/album.service.js";
import type { ImageRecord } from "../ports/image-store.js";
import type { ShareLinkRecord } from "../ports/share-link-store.js";
import type { InviteRecord } from "../ports/invite-store.js";
import type { IssuedCredential } from "../services/credential.service.js";
import { encodeUserCursor, type UserPage, type UserSummary } from "../services/admin.service.js";
import { encodeCursor } from "../services/image-cursor.js";
import type { ImagePage } from "../services/image.service.js";
import type { IssuedUpload } from "../services/upload.service.js";
import { Album, AlbumConnection, AlbumEdge } from "./types/album.type.js";
import { ApiKey } from "./types/api-key.type.js";
import { AuthPayload } from "./types/auth-payload.type.js";
import { ImageEvent, ImageEventKind } from "./types/image-event.type.js";
import { Image, ImageConnection, type ImageLinks, ImageStatus, PageInfo } from "./types/image.type.js";
import { ShareLink } from "./types/share-link.type.js";
import { HttpField, UploadMethod, UploadTicket } from "./types/upload.type.js";
import { User, UserConnection, UserEdge } from "./types/user.type.js";
import { Invite } from "./types/invite.type.js";
import { toVisibility } from "./types/visibility.type.js";

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

export function toUser(userId: string, username: string, isAdmin: boolean): User {
  return Object.assign(new User(), { id: userId, username, isAdmin });
}

export function toAuthPayload(issued: IssuedCredential, isAdmin: boolean): AuthPayload {
  return Object.assign(new AuthPayload(), {
    apiKey: issued.secret,
    user: toUser(issued.record.userId, issued.record.username, isAdmin),
  });
}

/** A User whose profile and usage are already known (the admin listing), so its fields need no more reads. */
export function toSummarizedUser(summary: UserSummary): User {
  const user = toUser(summary.profile.userId, summary.profile.username, summary.isAdmin);
  user.summary = Promise.resolve(summary);
  return user;
}

export function toUserConnection(page: UserPage): UserConnection {
  const edges = page.users.map((summary) =>
    Object.assign(new UserEdge(), { cursor: encodeUserCursor(summary.profile), node: toSummarizedUser(summary) }),
  );
  return Object.assign(new UserConnection(), {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: Object.assign(new PageInfo(), { hasNextPage: page.hasMore, endCursor: edges.at(-1)?.cursor ?? null }),
  });
}

export function toInvite(record: InviteRecord, code: string | null = null): Invite {
  return Object.assign(new Invite(), {
    id: record.id,
    code,
    note: record.note,
    expiresAt: new Date(record.expiresAt),
    usedAt: toDate(record.usedAt),
    usedBy: record.usedBy,
    createdAt: new Date(record.createdAt),
    createdBy: record.createdBy,
  });
}

export function toApiKey(record: CredentialRecord): ApiKey {
  return Object.assign(new ApiKey(), {
    id: record.id,
    name: record.name,
    createdAt: new Date(record.createdAt),
    lastUsedAt: toDate(record.lastUsedAt),
    expiresAt: toDate(record.expiresAt),
  });
}

export function toImage(record: ImageRecord, links: ImageLinks): Image {
  const processing = record.processing;
  return Object.assign(new Image(), {
    id: record.id,
    url: links.linkFor(record.id),
    filename: record.filename,
    contentType: record.contentType,
    size: record.size,
    width: record.width,
    height: record.height,
    createdAt: new Date(record.createdAt),
    visibility: toVisibility(record.visibility),
    // Recorded before processing existed: served as uploaded, so READY as far as clients can tell.
    status: processing ? ImageStatus[processing.status] : ImageStatus.READY,
    failureReason: processing?.failureReason ?? null,
    placeholder: processing?.placeholder ?? null,
    source: { record, links },
  });
}

export function toImageConnection(page: ImagePage, links: ImageLinks): ImageConnection {
  const nodes = page.images.map((record) => toImage(record, links));
  return imageConnection(nodes, (i) => encodeCursor(page.images[i]!), page.hasMore, page.countAll);
}

/** A page of images as a connection (its edges are built from `cursorOf` when a query reads them). */
function imageConnection(
  nodes: Image[],
  cursorOf: (index: number) => string,
  hasMore: boolean,
  count: ImageConnection["count"],
): ImageConnection {
  return Object.assign(new ImageConnection(), {
    nodes,
    cursorOf,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: hasMore,
      endCursor: nodes.length === 0 ? null : cursorOf(nodes.length - 1),
    }),
    count,
  });
}

export function toUploadTicket({ ticket, target }: IssuedUpload): UploadTicket {
  const fields = (list: { name: string; value: string }[]) => list.map((f) => Object.assign(new HttpField(), f));
  return Object.assign(new UploadTicket(), {
    uploadId: ticket.uploadId,
    method: target.method === "POST" ? UploadMethod.POST : UploadMethod.PUT,
    url: target.url,
    headers: fields(target.headers),
    fields: fields(target.fields),
    expiresAt: new Date(ticket.expiresAt),
    maxBytes: ticket.maxBytes,
  });
}

export function toImageEvent(event: ImageEventRecord, links: ImageLinks): ImageEvent {
  return Object.assign(new ImageEvent(), {
    kind: ImageEventKind[event.kind],
    imageId: event.imageId,
    image: event.image && toImage(event.image, links),
  });
}

export function toAlbum(record: AlbumRecord, links: { pageUrlFor(albumId: string): string }): Album {
  return Object.assign(new Album(), {
    id: record.id,
    title: record.title,
    description: record.description,
    visibility: toVisibility(record.visibility),
    createdAt: new Date(record.createdAt),
    url: links.pageUrlFor(record.id),
    record,
  });
}

export function toAlbumConnection(page: AlbumPage, links: { pageUrlFor(albumId: string): string }): AlbumConnection {
  const edges = page.albums.map((record) =>
    Object.assign(new AlbumEdge(), { cursor: encodeAlbumCursor(record), node: toAlbum(record, links) }),
  );
  return Object.assign(new AlbumConnection(), {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: Object.assign(new PageInfo(), { hasNextPage: page.hasMore, endCursor: edges.at(-1)?.cursor ?? null }),
    totalCount: page.totalCount,
  });
}

/** An album's images: every one loads through `viewUrl`, which carries a grant for the private ones. */
export function toAlbumImageConnection(page: AlbumImagePage, links: ImageLinks): ImageConnection {
  const nodes = page.images.map(({ image }) => toImage(image, links));
  return imageConnection(nodes, (i) => page.images[i]!.cursor, page.hasMore, page.totalCount);
}

export function toShareLink(record: ShareLinkRecord, secret: { token: string; url: string } | null = null): ShareLink {
  return Object.assign(new ShareLink(), {
    id: record.id,
    url: secret?.url ?? null,
    token: secret?.token ?? null,
    note: record.note,
    expiresAt: toDate(record.expiresAt),
    maxViews: record.maxViews,
    views: record.views,
    createdAt: new Date(record.createdAt),
    revokedAt: toDate(record.revokedAt),
    imageId: record.target.kind === "image" ? record.target.id : null,
    albumId: record.target.kind === "album" ? record.target.id : null,
  });
}
