import { z } from "zod";
import type { RouteSpec } from "./route-spec.js";

/** The image routes: listing and deleting (handlers in image.routes.ts) and the public links (served by server/http/image-link.routes.ts). */

const imageId = z.object({ id: z.string().describe("Image id, as returned by upload/complete.") });

const imageGrant = z.object({
  grant: z
    .string()
    .optional()
    .describe("Lets a private image through: part of `Image.viewUrl` in GraphQL, valid for at least 15 minutes."),
});

const imageItem = z.object({
  id: z.string(),
  url: z.string().describe("Public link: <PUBLIC_URL>/image/<id>, a redirect to the bytes."),
  filename: z.string(),
  mime: z.string().describe("The type the bytes were verified to be."),
  created_at: z.number().int().describe("Unix time, seconds."),
  size: z.number().int().describe("Bytes."),
  width: z.number().int().describe("Pixels."),
  height: z.number().int().describe("Pixels."),
  status: z
    .enum(["processing", "ready", "failed"])
    .describe("processing after upload (the link answers 503 until ready), then ready or failed."),
  thumbnail_url: z
    .string()
    .nullable()
    .describe("Link to the smallest thumbnail (WebP, 320 px wide at most); null until ready."),
});

/** What the two public-link routes share: /api/v1/image/{id} and /image/{id} answer alike. */
const imageRedirect = {
  auth: false,
  params: imageId,
  success: { status: 302, description: "Redirect to the bytes.", headers: { Location: "Where the bytes are." } },
  query: imageGrant,
  errors: {
    404: "Unknown, malformed, deleted or failed id, or a private image without a live grant.",
    503: "Still being processed (Retry-After says when to ask again), or Redis or storage is unavailable.",
  },
  servedBy: "server/http/image-link.routes.ts",
} as const;

export const imageRoutes = {
  myImages: {
    method: "GET",
    path: "/api/v1/me/images",
    tag: "images",
    summary: "Your images, newest first.",
    auth: true,
    query: z.object({
      limit: z.coerce.number().int().min(1).optional().describe("At most this many (default: all)."),
    }),
    success: { status: 200, description: "Newest first.", body: z.object({ items: z.array(imageItem) }) },
    errors: { 400: "Malformed limit.", 401: "No valid API key.", 503: "Redis is unavailable." },
  },
  imageLink: {
    method: "GET",
    path: "/api/v1/image/:id",
    tag: "images",
    summary: "Redirect to the image bytes (public).",
    ...imageRedirect,
  },
  publicImageLink: {
    method: "GET",
    path: "/image/:id",
    tag: "images",
    summary: "The public link: redirect to the image bytes; same as /api/v1/image/{id}.",
    ...imageRedirect,
  },
  publicImageVariantLink: {
    method: "GET",
    path: "/image/:id/:variant",
    tag: "images",
    summary: "A thumbnail of the image (WebP; w320, w1280): redirect to its bytes.",
    auth: false,
    params: imageId.extend({ variant: z.string().describe("Variant name, as in GraphQL Image.variants urls.") }),
    success: { status: 302, description: "Redirect to the bytes.", headers: { Location: "Where the bytes are." } },
    query: imageGrant,
    errors: {
      404: "Unknown, malformed, deleted or failed id, no such variant, or a private image without a live grant.",
      503: "Still being processed (Retry-After says when to ask again), or Redis or storage is unavailable.",
    },
    servedBy: "server/http/image-link.routes.ts",
  },
  deleteImage: {
    method: "DELETE",
    path: "/api/v1/image/:id",
    tag: "images",
    summary: "Delete one of your images; its link answers 404 at once.",
    auth: true,
    params: imageId,
    success: {
      status: 200,
      description: "Deleted.",
      body: z.object({ status: z.literal("deleted"), id: z.string() }),
    },
    errors: {
      401: "No valid API key.",
      404: "No such image, or someone else's.",
      503: "Redis or storage is unavailable.",
    },
  },
} as const satisfies Record<string, RouteSpec>;
