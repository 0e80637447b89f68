import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError, ErrorCode, notFound } from "../errors.js";
import type { ImageService } from "../services/image.service.js";
import { sendErrorOrStatusPage } from "./status-page.js";

/** What a browser shows for a link that leads nowhere: the same words for unknown, malformed and deleted ids. */
const NO_SUCH_IMAGE = {
  title: "Image not found",
  message:
    "There is no image at this link. It may have been deleted by its owner, or the link may be incomplete: check that it was copied in full.",
};

/** Not cacheable: a deleted image must stop redirecting at once, a processed one start at once. */
export const LINK_CACHE_CONTROL = "no-store";

/** How long a client should wait before asking again about an image being processed, seconds. */
const PROCESSING_RETRY_AFTER_SECONDS = 2;
const PROCESSING = {
  title: "Almost there",
  message: "The image is still being processed; it will be here in a moment. Reload this page shortly.",
};

/**
 * The public link, `GET|HEAD /image/<id>` (and the REST alias `/api/v1/image/<id>`), and its thumbnails
 * `/image/<id>/<variant>` (`w320`, `w1280`): 302 to the bytes; 503 with Retry-After while the image is processed;
 * 404 for unknown, malformed, deleted, FAILED or private ids (a private one redirects with a live `?grant=` from
 * `Image.viewUrl`) and unknown variants — a small HTML page for browsers, the JSON error body for API clients.
 * The hot path: one Redis read at most, signing cached; a hot redirect is answered ahead of Fastify (hot-link.ts).
 */
export function registerImageLinkRoutes(app: FastifyInstance, images: ImageService): void {
  const answer = async (
    request: FastifyRequest<{ Params: { id: string; variant?: string }; Querystring: { grant?: unknown } }>,
    reply: FastifyReply,
  ) => {
    const grant = typeof request.query.grant === "string" ? request.query.grant : null;
    const link = await images.links.resolve(request.params.id, request.params.variant ?? null, grant);
    if (link === null) return sendErrorOrStatusPage(request, reply, notFound("No such image."), NO_SUCH_IMAGE);
    reply.header("Cache-Control", LINK_CACHE_CONTROL);
    if (link.kind === "redirect") return reply.code(302).header("Location", link.url).send();
    const processing = new AppError(
      ErrorCode.SERVICE_UNAVAILABLE,
      "The image is still being processed; try again in a moment.",
      {
        retryAfterSeconds: PROCESSING_RETRY_AFTER_SECONDS,
      },
    );
    return sendErrorOrStatusPage(request, reply, processing, PROCESSING);
  };
  // Fastify answers HEAD from the GET route.
  for (const path of ["/image/:id", "/api/v1/image/:id", "/image/:id/:variant"]) app.get(path, answer);
}
