import { accountRoutes } from "./account.schemas.js";
import { imageRoutes } from "./image.schemas.js";
import { operationRoutes } from "./readiness.schemas.js";
import type { RestHandler, RouteSpec } from "./route-spec.js";
import { uploadRoutes } from "./upload.schemas.js";

/**
 * The REST dialect (docs/rest.md) as data: one entry per route, with its request and response schemas. The
 * server validates requests with these schemas (`rest-routes.ts`) and `GET /api/v1/openapi.json` is generated
 * from them (`openapi.ts`), so the document cannot drift from what is served. Property names are the older
 * clients' (snake_case); objects accept unknown properties (forward compatibility) but types are enforced, never
 * coerced. Each group's routes live next to its handlers (`<group>.schemas.ts`); what a route spec is, in
 * `route-spec.ts`.
 */
export const restRoutes = {
  ...accountRoutes,
  ...uploadRoutes,
  ...imageRoutes,
  ...operationRoutes,
} as const satisfies Record<string, RouteSpec>;

type RestRoutes = typeof restRoutes;
export type RouteName = keyof RestRoutes;
/** The routes `server/rest` serves itself (the others name their module in `servedBy`). */
export type HandledRouteName = { [K in RouteName]: RestRoutes[K] extends { servedBy: string } ? never : K }[RouteName];

export type RestHandlers = { readonly [K in HandledRouteName]: RestHandler<RestRoutes[K]> };
