import type { FastifyReply, FastifyRequest } from "fastify";
import { assertNever, notFound } from "../errors.js";
import { sendError } from "./error-reply.js";
import { acceptsHtml, type WebApp } from "./web-app.routes.js";

/** What a request to /graphql gets. */
type GraphQLRouteTarget = "apollo" | "playground" | "playground-off";

/**
 * A browser opening /graphql gets the playground (SEC-6: only while the explorer switch is on, a 404 otherwise);
 * every other GET and every POST is a GraphQL request for Apollo.
 */
function graphqlRouteTarget(request: FastifyRequest, explorer: boolean): GraphQLRouteTarget {
  if (request.method === "POST" || !acceptsHtml(request)) return "apollo";
  return explorer ? "playground" : "playground-off";
}

/** The /graphql route's onRequest hook: answers browsers itself and lets everything else through to Apollo. */
export function guardPlayground(options: { explorer: boolean; web: Pick<WebApp, "servePlayground"> }) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const target = graphqlRouteTarget(request, options.explorer);
    switch (target) {
      case "apollo":
        return undefined;
      case "playground":
        return options.web.servePlayground(request, reply);
      case "playground-off":
        return sendError(request, reply, notFound("The GraphQL playground is turned off on this server."));
      default:
        return assertNever(target);
    }
  };
}
