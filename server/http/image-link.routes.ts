import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { notFound } from "../errors.js";
import type { ImageService } from "../services/image.service.js";
import { sendErrorOrStatusPage } from "./status-page.js";

/** What a browser shows for a link that leads nowhere: the same words for unknown, malformed and deleted ids. */
const NO_SUCH_IMAGE = {
  title: "Image not found",
  message:
    "There is no image at this link. It may have been deleted by its owner, or the link may be incomplete: check that it was copied in full.",
};

/**
 * The public link, `GET|HEAD /image/<id>` (and the REST alias `/api/v1/image/<id>`): 302 to the bytes, 404 for
 * unknown, malformed, deleted or private ids (a private one redirects with a live `?grant=` from `Image.viewUrl`) —
 * a small HTML page for browsers, the JSON error body for API clients. The hot path: one Redis read, signing cached.
 */
export function registerImageLinkRoutes(app: FastifyInstance, images: ImageService): void {
  const redirect = async (
    request: FastifyRequest<{ Params: { id: string }; Querystring: { grant?: unknown } }>,
    reply: FastifyReply,
  ) => {
    const grant = typeof request.query.grant === "string" ? request.query.grant : null;
    const url = await images.downloadUrl(request.params.id, grant);
    if (url === null) return sendErrorOrStatusPage(request, reply, notFound("No such image."), NO_SUCH_IMAGE);
    // Not cacheable: a deleted image must stop redirecting at once.
    return reply.code(302).header("Location", url).header("Cache-Control", "no-store").send();
  };
  // Fastify answers HEAD from the GET route.
  for (const path of ["/image/:id", "/api/v1/image/:id"]) app.get(path, redirect);
}
