import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { notFound } from "../errors.js";
import type { ShareLinkService } from "../services/share-link.service.js";
import { sendErrorOrStatusPage, sendStatusPage, prefersHtml } from "./status-page.js";

const NO_SUCH_LINK = {
  title: "Link not found",
  message: "There is no share link at this address. Check that it was copied whole.",
};
const LINK_GONE = {
  title: "This link no longer works",
  message: "It has expired, reached its view limit, or was revoked, or what it showed was deleted.",
};

/**
 * `GET|HEAD /s/<token>`: a share link. An image's redirects (302) to the bytes, an album's to its page with a
 * grant; each answered request is one view. Expired, used up, revoked or deleted → 410 (a page for browsers).
 */
export function registerShareLinkRoutes(app: FastifyInstance, shares: ShareLinkService): void {
  app.get("/s/:token", async (request: FastifyRequest<{ Params: { token: string } }>, reply: FastifyReply) => {
    const opened = await shares.open(request.params.token);
    // Never cached anywhere: every request must be checked and counted.
    reply.header("Cache-Control", "no-store").header("Referrer-Policy", "no-referrer");
    switch (opened.kind) {
      case "image":
        return reply.code(302).header("Location", opened.downloadUrl).send();
      case "album":
        return reply
          .code(302)
          .header("Location", `/a/${opened.albumId}?grant=${encodeURIComponent(opened.grant)}`)
          .send();
      case "gone":
        reply.header("Vary", "Accept");
        if (prefersHtml(request)) return sendStatusPage(reply, 410, LINK_GONE);
        return reply
          .code(410)
          .type("application/json; charset=utf-8")
          .send({ error: { code: "gone", message: LINK_GONE.message, request_id: request.id } });
      case "unknown":
        return sendErrorOrStatusPage(request, reply, notFound("No such share link."), NO_SUCH_LINK);
    }
  });
}
