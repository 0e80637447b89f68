import "reflect-metadata";
import { ApolloServer } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { GraphQLFormattedError } from "graphql";
import type { Services } from "../app.js";
import type { Config } from "../config.js";
import type { GraphQLContext } from "../graphql/context.js";
import { formatGraphQLError, responseErrorsPlugin, withoutSchemaSuggestions } from "../graphql/errors.js";
import { GRAPHQL_LIMITS, maxAliasesRule, maxDepthRule, noSubscriptionsRule } from "../graphql/limits.js";
import { AccountResolver } from "../graphql/resolvers/account.resolver.js";
import { AdminResolver } from "../graphql/resolvers/admin.resolver.js";
import { AlbumResolver } from "../graphql/resolvers/album.resolver.js";
import { ApiKeyResolver } from "../graphql/resolvers/api-key.resolver.js";
import { ImageEventResolver } from "../graphql/resolvers/image-event.resolver.js";
import { ImageResolver } from "../graphql/resolvers/image.resolver.js";
import { ShareLinkResolver } from "../graphql/resolvers/share-link.resolver.js";
import { UserResolver } from "../graphql/resolvers/user.resolver.js";
import { plannedExecutionGateway } from "../graphql/execution/planned-executor.js";
import { buildGraphQLSchema } from "../graphql/schema.js";
import { GraphQLWebSocketServer } from "../live/graphql-ws-server.js";
import { clientGoneSignal } from "./client-gone.js";
import { guardPlayground } from "./graphql-playground.js";
import { presentedSecret } from "./presented-secret.js";
import type { WebApp } from "./web-app.routes.js";

export interface GraphQLEndpointOptions {
  graphql: Config["graphql"];
  live: Config["live"];
  /** This server's own origin (from the public URL) and the CORS origins: who may open a WebSocket. */
  ownOrigin: string;
  corsOrigins: readonly string[];
  /** Serves the playground's page. */
  web: Pick<WebApp, "servePlayground">;
}

/**
 * POST and GET /graphql (Apollo), the playground page for browsers, and subscriptions over graphql-ws on the same
 * port and path. Returns the WebSocket server, which the app closes first on shutdown.
 */
export async function registerGraphQLEndpoint(
  http: FastifyInstance,
  services: Services,
  options: GraphQLEndpointOptions,
): Promise<GraphQLWebSocketServer> {
  const { accounts, credentials, images } = services;
  const explorer = options.graphql.explorer;
  const schema = await buildGraphQLSchema([
    new AccountResolver(accounts, credentials, services.ownAccount),
    new AdminResolver(services.admin),
    new ApiKeyResolver(credentials),
    new ImageResolver(images, services.uploads),
    new ImageEventResolver(images),
    new AlbumResolver(services.albums, images, services.shares),
    new ShareLinkResolver(services.shares),
    new UserResolver(services.admin),
  ]);
  // SEC-6: with the explorer off, no "Did you mean" hints that would map the schema out (HTTP and WebSocket).
  const formatError = explorer
    ? formatGraphQLError
    : (formatted: GraphQLFormattedError, error: unknown) =>
        withoutSchemaSuggestions(formatGraphQLError(formatted, error));
  // SEC-6: every option that matters is set here explicitly, none left to NODE_ENV.
  const apollo = new ApolloServer<GraphQLContext>({
    // Operations run from plans (issue 16); Apollo takes another executor through its gateway interface only.
    gateway: plannedExecutionGateway(schema),
    introspection: explorer,
    // SEC-6: with the explorer off, no "Did you mean" hints that would map the schema out.
    hideSchemaDetailsFromClientErrors: !explorer,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    persistedQueries: false,
    formatError,
    // SEC-7: limits enforced before execution.
    parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens },
    validationRules: [
      maxDepthRule(GRAPHQL_LIMITS.maxDepth),
      maxAliasesRule(GRAPHQL_LIMITS.maxAliases),
      noSubscriptionsRule,
    ],
    plugins: [
      fastifyApolloDrainPlugin(http),
      responseErrorsPlugin(http.log),
      ApolloServerPluginLandingPageDisabled(),
      // Apollo installs cache control by default, and it wraps every field resolver to collect hints nobody reads
      // (no cache headers are sent for our data): a tenth of a list request's CPU.
      ApolloServerPluginCacheControlDisabled(),
      // Inline traces are for federation subgraphs, which this is not; installed by default, Apollo's plugin would
      // load its protobuf module (about 0.6 MB of heap) only to stay off.
      ApolloServerPluginInlineTraceDisabled(),
    ],
  });
  await apollo.start();
  // Subscriptions: graphql-ws on the same port and path, through the HTTP server's upgrade event.
  const live = new GraphQLWebSocketServer({
    schema,
    credentials,
    live: services.live,
    limits: options.live,
    ownOrigin: options.ownOrigin,
    corsOrigins: options.corsOrigins,
    maxTokens: GRAPHQL_LIMITS.maxTokens,
    validationRules: [maxDepthRule(GRAPHQL_LIMITS.maxDepth), maxAliasesRule(GRAPHQL_LIMITS.maxAliases)],
    formatError,
    log: http.log,
  });
  http.server.on("upgrade", (request, socket, head) => live.handleUpgrade(request, socket, head));
  const graphql = fastifyApolloHandler(apollo, {
    context: async (request, reply): Promise<GraphQLContext> => {
      let viewer: ReturnType<GraphQLContext["viewer"]> | undefined;
      return new HttpGraphQLContext(
        request.id,
        request.ip,
        reply.raw,
        () => (viewer ??= credentials.authenticate(presentedSecret(request.headers))),
      );
    },
  });
  http.route<{ Reply: string }>({
    method: ["GET", "POST"],
    url: "/graphql",
    onRequest: guardPlayground({ explorer, web: options.web }),
    handler: graphql,
  });
  return live;
}

/**
 * The context of an operation over HTTP. A class so that `signal` is made on first use only (most operations never
 * wait on anything the client could abandon): Apollo copies the context's own properties for every operation, which
 * would call a getter defined on the object itself, but keeps its prototype.
 */
class HttpGraphQLContext implements GraphQLContext {
  constructor(
    readonly requestId: string,
    readonly clientIp: string,
    private readonly response: ServerResponse,
    readonly viewer: GraphQLContext["viewer"],
  ) {}

  get signal(): AbortSignal {
    return clientGoneSignal(this.response);
  }
}
