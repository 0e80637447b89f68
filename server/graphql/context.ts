import { unauthenticated } from "../errors.js";
import type { Viewer } from "../services/account.service.js";

/** Per-request GraphQL context. The viewer is resolved lazily so anonymous operations cost no Redis read. */
export interface GraphQLContext {
  requestId: string;
  /** For abuse limits (SEC-3): from the socket, or from trusted proxies only. */
  clientIp: string;
  viewer(): Promise<Viewer | null>;
}

export async function requireViewer(context: GraphQLContext): Promise<Viewer> {
  const viewer = await context.viewer();
  if (!viewer) throw unauthenticated();
  return viewer;
}
