import type { ImageRecord } from "../ports/image-store.js";
import type { ImageService } from "../services/image.service.js";
import type { RestHandlers } from "./route-table.js";

/** GET /api/v1/me/images and DELETE /api/v1/image/<id>; GET of the public link lives in http/image-link.routes.ts. */
export function imageHandlers(images: ImageService): Pick<RestHandlers, "myImages" | "deleteImage"> {
  return {
    myImages: async ({ viewer, query }) => {
      // The older dialect has no paging: it lists everything (or `limit`).
      const items = await images.listAllImages(viewer, query.limit ?? null);
      return { items: items.map((image) => toListItem(image, images)) };
    },
    deleteImage: async ({ viewer, params }) => {
      await images.deleteImage(viewer, params.id);
      return { status: "deleted" as const, id: params.id };
    },
  };
}

function toListItem(image: ImageRecord, links: Pick<ImageService, "linkFor" | "variantUrlFor">) {
  const processing = image.processing;
  const thumbnail = processing?.status === "READY" ? processing.variants[0] : undefined;
  return {
    id: image.id,
    url: links.linkFor(image.id),
    filename: image.filename,
    mime: image.contentType,
    created_at: Math.floor(image.createdAt / 1000),
    size: image.size,
    width: image.width,
    height: image.height,
    // Added for the pipeline (issue 13); older clients ignore them.
    status: (processing?.status ?? "READY").toLowerCase() as "processing" | "ready" | "failed",
    // The owner's own list: a private image's thumbnail link carries a grant, as GraphQL's variants do.
    thumbnail_url: thumbnail ? links.variantUrlFor(image, thumbnail.name) : null,
  };
}
