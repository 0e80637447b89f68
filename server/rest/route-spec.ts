import { z } from "zod";
import type { RestErrorCode } from "../errors.js";
import type { Viewer } from "../services/credential.service.js";

/**
 * What a REST route is, as data: method, path, auth, the zod schemas of its request and response, its failures.
 * Each group's routes are in `<group>.schemas.ts` next to its handlers (`<group>.routes.ts`); `route-table.ts`
 * puts them together.
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

export const errorObject = z.object({
  code: z.enum(REST_ERROR_CODES).describe("Stable, machine-readable code."),
  message: z.string().describe("Human-readable; safe to show."),
  request_id: z.string().describe("Quote it when reporting a problem: the server log has the details."),
});

/** Every failure, on every route: `{"error": {"code", "message", "request_id"}}`. */
export const errorBody = z.object({ error: errorObject });

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

/** What a handler receives: validated input and, on routes with `auth`, the caller. */
interface RestCall<R extends RouteSpec> {
  readonly body: Parsed<R["body"]>;
  readonly query: Parsed<R["query"]>;
  readonly params: Parsed<R["params"]>;
  readonly viewer: R["auth"] extends true ? Viewer : null;
  /** For abuse limits (SEC-3): the socket's address, or the one the trusted proxies report. */
  readonly clientIp: string;
  /** Aborts when the client goes away before the answer is sent. */
  readonly signal: AbortSignal;
}

/** Reads its input, calls one service method, returns the success body; failures are thrown. */
export type RestHandler<R extends RouteSpec> = (
  call: RestCall<R>,
) => Promise<R["success"]["body"] extends z.ZodType ? z.input<R["success"]["body"]> : never>;
