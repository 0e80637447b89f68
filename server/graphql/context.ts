import { badInput, unauthenticated } from "../errors.js";
import type { Viewer } from "../services/credential.service.js";
import type { LiveEventsService } from "../services/live-events.service.js";

/** Per-request GraphQL context. The viewer is resolved lazily so anonymous operations cost no Redis read. */
export interface GraphQLContext {
  requestId: string;
  /** For abuse limits (SEC-3): from the socket, or from trusted proxies only. */
  clientIp: string;
  viewer(): Promise<Viewer | null>;
  /** Aborts when the client goes away before the answer is sent (absent on WebSocket operations). */
  signal?: AbortSignal;
  /** Live updates; only on WebSocket connections (subscriptions do not run over HTTP). */
  live?: LiveEventsService;
}

export async function requireViewer(context: GraphQLContext): Promise<Viewer> {
  const viewer = await context.viewer();
  if (!viewer) throw unauthenticated();
  return viewer;
}

export function requireLive(context: GraphQLContext): LiveEventsService {
  if (!context.live) throw badInput("Subscriptions run over WebSocket (graphql-ws) at /graphql, not over HTTP.");
  return context.live;
}
