import { z } from "zod";
import type { RestErrorCode } from "../errors.js";
import type { Viewer } from "../services/account.service.js";

/**
 * The REST dialect (REST-CONTRACT.md) as data: one entry per route, with its request and response schemas. The
 * server validates requests with these schemas (`rest-routes.ts`) and `GET /api/v1/openapi.json` is generated
 * from them (`openapi.ts`), so the document cannot drift from what is served. Property names are the older
 * clients' (snake_case); objects accept unknown properties (forward compatibility) but types are enforced, never
 * coerced.
 */

type HttpMethod = "GET" | "POST" | "DELETE";
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503;

interface SuccessSpec {
  readonly status: 200 | 201 | 302;
  readonly description: string;
  /** JSON body; absent for a redirect. */
  readonly body?: z.ZodType;
  /** Response headers worth documenting, name → description. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteSpec {
  readonly method: HttpMethod;
  /** Fastify syntax: `:id` is a path parameter. */
  readonly path: string;
  readonly tag: Tag;
  readonly summary: string;
  readonly description?: string;
  /** Needs a credential (`X-API-Key`, or `Authorization: Bearer`): 401 without a valid one. */
  readonly auth: boolean;
  readonly body?: z.ZodType;
  readonly query?: z.ZodObject;
  readonly params?: z.ZodObject;
  readonly success: SuccessSpec;
  /** The failures this route answers, status → when; their body is the `Error` schema. */
  readonly errors: Readonly<Partial<Record<ErrorStatus, string>>>;
  /**
   * Client-safe `AppError.details` keys this route adds to its error body, and the schema of that body. Only the
   * readiness routes use it, to name the dependency that is down.
   */
  readonly errorDetails?: { readonly keys: readonly string[]; readonly body: z.ZodType };
  /** Set when the route is served outside `server/rest` and listed here so the document covers it. */
  readonly servedBy?: string;
}

export type Tag = "accounts" | "uploads" | "images" | "operations";
export const TAGS: Readonly<Record<Tag, string>> = {
  accounts: "Registration and login; both hand out an API key.",
  uploads: "Two-step upload: ask for a presigned URL, PUT the bytes there, then complete.",
  images: "Your images and their public links.",
  operations: "Liveness, readiness and this document.",
};

// Listed as an object so the compiler flags a code added to RestErrorCode but not here.
const REST_ERROR_CODES = Object.keys({
  validation: 1,
  auth: 1,
  conflict: 1,
  not_found: 1,
  forbidden: 1,
  rate_limited: 1,
  too_large: 1,
  unavailable: 1,
  internal: 1,
} satisfies Record<RestErrorCode, 1>) as [RestErrorCode, ...RestErrorCode[]];

const errorObject = z.object({
  code: z.enum(REST_ERROR_CODES).describe("Stable, machine-readable code."),
  message: z.string().describe("Human-readable; safe to show."),
  request_id: z.string().describe("Quote it when reporting a problem: the server log has the details."),
});

/** Every failure, on every route: `{"error": {"code", "message", "request_id"}}`. */
export const errorBody = z.object({ error: errorObject });

const notReadyBody = z.object({
  error: errorObject.extend({
    unavailable: z.array(z.enum(["redis", "storage"])).describe("The dependencies that did not answer."),
  }),
});

const credentials = z.object({
  username: z.string().describe("3–32 of A–Z a–z 0–9 _ . - (after NFKC); unique ignoring case."),
  password: z.string().describe("8 to 72 bytes of UTF-8; very common passwords are refused at registration."),
});

const authReply = z.object({
  api_key: z.string().describe("A new session credential (starts with ih_); send it as X-API-Key. Shown once."),
  username: z.string().describe("The account's username, as registered."),
});

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

export const restRoutes = {
  register: {
    method: "POST",
    path: "/api/v1/register",
    tag: "accounts",
    summary: "Create an account; logs it in.",
    auth: false,
    body: credentials.extend({
      invite_code: z
        .string()
        .optional()
        .describe("An invite code from an admin (inv_…); required when the server runs with REGISTRATION=invite."),
    }),
    success: { status: 200, description: "Registered and logged in.", body: authReply },
    errors: {
      400: "Missing or malformed fields; username or password not acceptable.",
      403: "Registration is closed, or needs a valid, unused invite code.",
      409: "The username is taken.",
      413: "Body over 100 KB.",
      429: "Too many registrations from this address.",
      503: "Redis is unavailable.",
    },
  },
  login: {
    method: "POST",
    path: "/api/v1/login",
    tag: "accounts",
    summary: "Log in; mints a new session API key.",
    auth: false,
    body: credentials,
    success: { status: 200, description: "Logged in.", body: authReply },
    errors: {
      400: "Missing or malformed fields.",
      401: "Wrong username or password (the same answer for both).",
      413: "Body over 100 KB.",
      429: "Too many failed logins for this username or address.",
      503: "Redis is unavailable.",
    },
  },
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
    auth: false,
    params: imageId,
    success: { status: 302, description: "Redirect to the bytes.", headers: { Location: "Where the bytes are." } },
    query: imageGrant,
    errors: {
      404: "Unknown, malformed, deleted or failed id, or a private image without a live grant.",
      503: "Still being processed (Retry-After says when to ask again), or Redis or storage is unavailable.",
    },
    servedBy: "server/http/image-link.routes.ts",
  },
  publicImageLink: {
    method: "GET",
    path: "/image/:id",
    tag: "images",
    summary: "The public link: redirect to the image bytes; same as /api/v1/image/{id}.",
    auth: false,
    params: imageId,
    success: { status: 302, description: "Redirect to the bytes.", headers: { Location: "Where the bytes are." } },
    query: imageGrant,
    errors: {
      404: "Unknown, malformed, deleted or failed id, or a private image without a live grant.",
      503: "Still being processed (Retry-After says when to ask again), or Redis or storage is unavailable.",
    },
    servedBy: "server/http/image-link.routes.ts",
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
  health: {
    method: "GET",
    path: "/health",
    tag: "operations",
    summary: "Liveness: answers while the process runs.",
    auth: false,
    success: { status: 200, description: "Alive.", body: z.object({ status: z.literal("ok") }) },
    errors: {},
    servedBy: "server/http/health.routes.ts",
  },
  redisCheck: {
    method: "GET",
    path: "/redis-check",
    tag: "operations",
    summary: "Whether Redis answers.",
    auth: false,
    success: { status: 200, description: "Redis answers.", body: z.object({ redis: z.literal(true) }) },
    errors: { 503: "Redis does not answer (within 2 s)." },
    errorDetails: { keys: ["unavailable"], body: notReadyBody },
  },
  ready: {
    method: "GET",
    path: "/ready",
    tag: "operations",
    summary: "Readiness: whether Redis and storage both answer.",
    auth: false,
    success: {
      status: 200,
      description: "Ready to serve.",
      body: z.object({
        status: z.literal("ready"),
        checks: z.object({ redis: z.literal("ok"), storage: z.literal("ok") }),
      }),
    },
    errors: { 503: "Redis or storage does not answer (within 2 s); `error.unavailable` names which." },
    errorDetails: { keys: ["unavailable"], body: notReadyBody },
  },
  openApi: {
    method: "GET",
    path: "/api/v1/openapi.json",
    tag: "operations",
    summary: "This document (OpenAPI 3.1).",
    auth: false,
    success: { status: 200, description: "The OpenAPI document.", body: z.record(z.string(), z.unknown()) },
    errors: {},
  },
} as const satisfies Record<string, RouteSpec>;

type RestRoutes = typeof restRoutes;
export type RouteName = keyof RestRoutes;
/** The routes `server/rest` serves itself (the others name their module in `servedBy`). */
export type HandledRouteName = { [K in RouteName]: RestRoutes[K] extends { servedBy: string } ? never : K }[RouteName];

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

/** What a handler receives: validated input and, on routes with `auth`, the caller. */
interface RestCall<R extends RouteSpec> {
  readonly body: Parsed<R["body"]>;
  readonly query: Parsed<R["query"]>;
  readonly params: Parsed<R["params"]>;
  readonly viewer: R["auth"] extends true ? Viewer : null;
  /** For abuse limits (SEC-3): the socket's address, or the one the trusted proxies report. */
  readonly clientIp: string;
}

/** Reads its input, calls one service method, returns the success body; failures are thrown. */
export type RestHandler<R extends RouteSpec> = (
  call: RestCall<R>,
) => Promise<R["success"]["body"] extends z.ZodType ? z.input<R["success"]["body"]> : never>;

export type RestHandlers = { readonly [K in HandledRouteName]: RestHandler<RestRoutes[K]> };
