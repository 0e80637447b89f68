import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { notFound } from "../errors.js";
import type { ImageService } from "../services/image.service.js";
import { sendError } from "./error-reply.js";

/**
 * The public link, `GET|HEAD /image/<id>` (and the REST alias `/api/v1/image/<id>`): 302 to the bytes, 404 for
 * unknown, malformed or deleted ids. The hot path: one Redis read, signing cached.
 */
export function registerImageLinkRoutes(app: FastifyInstance, images: ImageService): void {
  const redirect = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const url = await images.downloadUrl(request.params.id);
    if (url === null) return sendError(request, reply, notFound("No such image."));
    // Not cacheable: a deleted image must stop redirecting at once.
    return reply.code(302).header("Location", url).header("Cache-Control", "no-store").send();
  };
  // Fastify answers HEAD from the GET route.
  for (const path of ["/image/:id", "/api/v1/image/:id"]) app.get(path, redirect);
}
