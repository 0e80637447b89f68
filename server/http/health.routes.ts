import type { FastifyInstance } from "fastify";

/** Liveness: answers while the process runs, whatever its dependencies do. */
export function registerHealthRoutes(app: FastifyInstance): void {
  app.get("/health", async () => ({ status: "ok" }));
}
