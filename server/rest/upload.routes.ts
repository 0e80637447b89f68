import type { ImageService } from "../services/image.service.js";
import type { UploadService } from "../services/upload.service.js";
import type { RestHandlers } from "./route-table.js";

/**
 * POST /api/v1/upload/request and /api/v1/upload/complete: the older two-step upload over the same ticketed flow
 * GraphQL uses. What the client echoes back of its ticket is checked by the service (completeEchoedUpload).
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
      const echoed = { key: body.key, filename: body.filename, contentType: body.mime_type };
      const image = await uploads.completeEchoedUpload(viewer, body.iid, echoed, signal);
      return { id: image.id, url: images.linkFor(image.id) };
    },
  };
}
