import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import fastifyCors from "@fastify/cors";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import type { Config } from "./config.js";
import { AppError, badInput, notFound, payloadTooLarge } from "./errors.js";
import type { GraphQLContext } from "./graphql/context.js";
import { formatGraphQLError, responseErrorsPlugin } from "./graphql/errors.js";
import { GRAPHQL_LIMITS, maxAliasesRule, maxDepthRule } from "./graphql/limits.js";
import { AccountResolver } from "./graphql/resolvers/account.resolver.js";
import { ApiKeyResolver } from "./graphql/resolvers/api-key.resolver.js";
import { ImageResolver } from "./graphql/resolvers/image.resolver.js";
import { buildGraphQLSchema } from "./graphql/schema.js";
import { sendError } from "./http/error-reply.js";
import { registerHealthRoutes } from "./http/health.routes.js";
import { registerImageLinkRoutes } from "./http/image-link.routes.js";
import { registerLocalBlobRoutes } from "./http/local-blob.routes.js";
import { presentedSecret } from "./http/presented-secret.js";
import { registerSecurityHeaders } from "./http/security-headers.js";
import { connectRedis } from "./redis/redis-client.js";
import { guardRedisErrors } from "./redis/guard-redis-errors.js";
import { RedisAccountStore } from "./redis/redis-account-store.js";
import { RedisImageStore } from "./redis/redis-image-store.js";
import { RedisRateLimitStore } from "./redis/redis-rate-limit-store.js";
import { AccountService } from "./services/account.service.js";
import { ImageService } from "./services/image.service.js";
import { Sweeper } from "./services/sweeper.service.js";
import { createBlobStore } from "./storage/create-blob-store.js";
import { withCachedDownloadUrls } from "./storage/download-url-cache.js";
import { LocalBlobStore } from "./storage/local-blob-store.js";
import { S3BlobStore } from "./storage/s3-blob-store.js";
import { loadOrCreateSigningSecret } from "./storage/signing-secret.js";

/** S7: request bodies on /graphql and JSON routes. */
const JSON_BODY_LIMIT_BYTES = 100 * 1024;
/** S18: how long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface App {
  readonly http: FastifyInstance;
  /** Starts listening on the configured host and port; resolves to the bound address. */
  listen(): Promise<string>;
  /** Graceful stop (S18): stop accepting, finish in-flight requests (bounded), close Redis. Idempotent. */
  close(): Promise<void>;
}

/** Everything below the HTTP edge, built from the validated config. */
export interface Services {
  readonly accounts: AccountService;
  readonly images: ImageService;
  readonly blobs: LocalBlobStore | S3BlobStore;
  readonly sweeper: Sweeper;
  /** Closes storage clients and Redis. */
  close(): Promise<void>;
}

/** The composition root, part one: stores, adapters and services. Used by the server and by `npm run sweep`. */
export async function createServices(config: Config): Promise<Services> {
  const redis = await connectRedis(config.redis);
  try {
    const accounts = await AccountService.create(
      guardRedisErrors(new RedisAccountStore(redis)),
      guardRedisErrors(new RedisRateLimitStore(redis)),
      config.auth,
    );
    const signingSecret = await loadOrCreateSigningSecret(config.dataDir, config.uploads.signingSecret);
    const blobs = createBlobStore(config.storage, { publicUrl: config.http.publicUrl, signingSecret });
    // Fail at start, with the adapter's clear message, when the bucket or directory is unusable.
    await blobs.checkReady();
    const imageStore = guardRedisErrors(new RedisImageStore(redis));
    const images = new ImageService(imageStore, withCachedDownloadUrls(blobs), { ...config.uploads, publicUrl: config.http.publicUrl });
    return {
      accounts,
      images,
      blobs,
      sweeper: new Sweeper(imageStore, blobs, images),
      async close() {
        if (blobs instanceof S3BlobStore) blobs.close();
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}

/** The composition root, part two: the HTTP server over the services. */
export async function createApp(config: Config): Promise<App> {
  const services = await createServices(config);
  const { accounts, images, blobs } = services;
  try {
    const http = Fastify({
      logger: { level: config.logLevel },
      genReqId: () => randomUUID(),
      // S3: X-Forwarded-For counts only for the configured number of proxy hops; otherwise the socket decides.
      trustProxy: config.http.trustProxyHops > 0 ? (_address: string, hop: number) => hop < config.http.trustProxyHops : false,
      bodyLimit: JSON_BODY_LIMIT_BYTES,
      // S12: an absurdly long id must still reach the route and get a plain 404, not a 414.
      routerOptions: { maxParamLength: 16 * 1024 },
      return503OnClosing: true,
      forceCloseConnections: "idle",
    });
    http.setErrorHandler((error: FastifyError, request, reply) => sendError(request, reply, fromFastifyError(error)));
    http.setNotFoundHandler((request, reply) => sendError(request, reply, notFound("No such route.")));
    registerSecurityHeaders(http);
    // CORS is off unless origins are listed: browsers on other origins then cannot read any response.
    if (config.http.corsOrigins.length > 0) {
      await http.register(fastifyCors, {
        origin: [...config.http.corsOrigins],
        methods: ["GET", "HEAD", "POST", "PUT", "DELETE"],
        allowedHeaders: ["content-type", "x-api-key", "authorization", "apollo-require-preflight"],
        maxAge: 600,
      });
    }
    registerHealthRoutes(http);
    registerImageLinkRoutes(http, images);
    if (blobs instanceof LocalBlobStore) registerLocalBlobRoutes(http, blobs);

    const schema = await buildGraphQLSchema([
      new AccountResolver(accounts),
      new ApiKeyResolver(accounts),
      new ImageResolver(images),
    ]);
    // S6: every option that matters is set here explicitly, none left to NODE_ENV.
    const apollo = new ApolloServer<GraphQLContext>({
      schema,
      introspection: config.graphql.explorer,
      includeStacktraceInErrorResponses: false,
      allowBatchedHttpRequests: false,
      csrfPrevention: true,
      persistedQueries: false,
      formatError: formatGraphQLError,
      // S7: limits enforced before execution.
      parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens },
      validationRules: [maxDepthRule(GRAPHQL_LIMITS.maxDepth), maxAliasesRule(GRAPHQL_LIMITS.maxAliases)],
      plugins: [
        fastifyApolloDrainPlugin(http),
        responseErrorsPlugin(http.log),
        ApolloServerPluginLandingPageDisabled(),
      ],
    });
    await apollo.start();
    await http.register(fastifyApollo(apollo), {
      path: "/graphql",
      method: ["GET", "POST"],
      context: async (request): Promise<GraphQLContext> => {
        let viewer: ReturnType<GraphQLContext["viewer"]> | undefined;
        return {
          requestId: request.id,
          clientIp: request.ip,
          viewer: () => (viewer ??= accounts.authenticate(presentedSecret(request.headers))),
        };
      },
    });

    let closing: Promise<void> | undefined;
    return {
      http,
      async listen() {
        return http.listen({ host: config.http.host, port: config.http.port });
      },
      close() {
        closing ??= (async () => {
          const force = setTimeout(() => http.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          try {
            await http.close();
          } finally {
            clearTimeout(force);
            await services.close();
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    await services.close();
    throw error;
  }
}

/** Fastify's own request errors (body too large, bad JSON, wrong media type) mapped onto our error table. */
function fromFastifyError(error: FastifyError): unknown {
  if (error instanceof AppError) return error;
  if (error.statusCode === 413) return payloadTooLarge("Request body too large.");
  if (error.statusCode === 415) return badInput("Unsupported content type: send application/json.");
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return badInput(error.message);
  return error;
}

