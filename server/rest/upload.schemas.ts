import { z } from "zod";
import type { RouteSpec } from "./route-spec.js";

/** The two-step upload routes (handlers in upload.routes.ts). */

export const uploadRoutes = {
  requestUpload: {
    method: "POST",
    path: "/api/v1/upload/request",
    tag: "uploads",
    summary: "Step 1: get a presigned URL to PUT the image to.",
    description:
      "Send the bytes with `PUT <presigned_url>`, header `Content-Type: <mime_type>` and the file as the body, " +
      "then call upload/complete. Accepted types: image/jpeg, image/png, image/gif, image/webp, image/avif.",
    auth: true,
    body: z.object({
      filename: z.string().describe("Display name; path parts are dropped."),
      mime_type: z.string().describe("image/jpeg, image/png, image/gif, image/webp or image/avif."),
      size: z
        .number()
        .int()
        .nullable()
        .optional()
        .describe("Bytes, when known: the upload must then be exactly this size."),
    }),
    success: {
      status: 200,
      description: "The upload ticket; it expires after 15 minutes.",
      body: z.object({
        iid: z.string().describe("Upload id; becomes the image id."),
        key: z.string().describe("The storage key issued for this upload."),
        filename: z.string().describe("The display name the image will have."),
        presigned_url: z.string().describe("Absolute URL accepting PUT with Content-Type: <mime_type>."),
      }),
    },
    errors: {
      400: "Missing or malformed fields, or a type that is not accepted.",
      401: "No valid API key.",
      413: "Declared size over the limit, or the quota is reached.",
      429: "Too many uploads in progress.",
      503: "Redis or storage is unavailable.",
    },
  },
  completeUpload: {
    method: "POST",
    path: "/api/v1/upload/complete",
    tag: "uploads",
    summary: "Step 2: verify the uploaded bytes and record the image. Safe to retry.",
    description:
      "The server uses the storage key it issued for `iid`; `key`, `filename` and `mime_type` must match what " +
      "upload/request returned and the bytes must be an image of that type.",
    auth: true,
    body: z.object({
      iid: z.string(),
      key: z.string(),
      filename: z.string(),
      mime_type: z.string(),
    }),
    success: {
      status: 201,
      description: "The image, recorded (or already recorded by an earlier call).",
      body: z.object({ id: z.string(), url: z.string().describe("Public link: <PUBLIC_URL>/image/<id>.") }),
    },
    errors: {
      400: "Malformed fields; key, filename or mime_type not those of the ticket; nothing uploaded; not an accepted image.",
      401: "No valid API key.",
      404: "No such upload: unknown, expired, or someone else's.",
      413: "The uploaded file is larger than the ticket allows.",
      503: "Redis or storage is unavailable.",
    },
  },
} as const satisfies Record<string, RouteSpec>;
