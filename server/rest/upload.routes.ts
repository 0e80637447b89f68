import { badInput } from "../errors.js";
import { displayNameOf } from "../services/display-name.js";
import { uploadKeyFor } from "../services/image-keys.js";
import type { ImageService } from "../services/image.service.js";
import type { UploadService } from "../services/upload.service.js";
import type { RestHandlers } from "./route-table.js";

/**
 * POST /api/v1/upload/request and /api/v1/upload/complete: the older two-step upload over the same ticketed flow
 * GraphQL uses. The client's `key` is only compared, never used: the service completes with the key it issued.
 */
export function uploadHandlers(
  uploads: UploadService,
  images: ImageService,
): Pick<RestHandlers, "requestUpload" | "completeUpload"> {
  return {
    requestUpload: async ({ viewer, body }) => {
      // Older clients only know one way to send bytes: PUT with Content-Type. Both drivers issue that for "PUT".
      const { ticket, target } = await uploads.requestUpload(viewer, {
        filename: body.filename,
        contentType: body.mime_type,
        size: body.size ?? null,
        method: "PUT",
      });
      if (target.method !== "PUT") throw new Error(`blob store answered a PUT request with ${target.method}`);
      return { iid: ticket.uploadId, key: ticket.key, filename: ticket.filename, presigned_url: target.url };
    },
    completeUpload: async ({ viewer, body, signal }) => {
      const ticket = await uploads.findTicket(viewer, body.iid);
      if (ticket !== null) assertSameUpload(body, ticket);
      // Without a live ticket this is a retry (the service hands back the caller's image) or a 404.
      const image = await uploads.completeUpload(viewer, body.iid, signal);
      // The key handed out was where to upload; the image now lives at its final key.
      if (ticket === null) assertSameUpload(body, { ...image, key: uploadKeyFor(image.id) });
      return { id: image.id, url: images.linkFor(image.id) };
    },
  };
}

/** What upload/request handed out must come back unchanged; the stored values are the ones the server made. */
function assertSameUpload(
  sent: { key: string; filename: string; mime_type: string },
  issued: { key: string; filename: string; contentType: string },
): void {
  if (sent.key !== issued.key)
    throw badInput("key is not the one issued for this iid: send the key upload/request returned.");
  if (!sameDisplayName(sent.filename, issued.filename)) {
    throw badInput(`filename does not match the upload: it was requested as "${issued.filename}".`);
  }
  if (sent.mime_type.trim().toLowerCase() !== issued.contentType) {
    throw badInput(`mime_type does not match the upload: it was requested as ${issued.contentType}.`);
  }
}

/**
 * The ticket keeps the display name the service made of the requested filename. Clients send back either that
 * name (from the upload/request answer) or the one they first sent; accept both.
 */
function sameDisplayName(sent: string, issued: string): boolean {
  return sent === issued || displayNameOf(sent) === issued;
}
