import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import { fastifyCookie } from "@fastify/cookie";
import fastifyCors from "@fastify/cors";
import type { GraphQLFormattedError } from "graphql";
import Fastify, { type FastifyInstance } from "fastify";
import type { Config } from "./config.js";
import { notFound } from "./errors.js";
import type { GraphQLContext } from "./graphql/context.js";
import { formatGraphQLError, responseErrorsPlugin, withoutSchemaSuggestions } from "./graphql/errors.js";
import { GRAPHQL_LIMITS, maxAliasesRule, maxDepthRule, noSubscriptionsRule } from "./graphql/limits.js";
import { AccountResolver } from "./graphql/resolvers/account.resolver.js";
import { AlbumResolver } from "./graphql/resolvers/album.resolver.js";
import { AdminResolver } from "./graphql/resolvers/admin.resolver.js";
import { ApiKeyResolver } from "./graphql/resolvers/api-key.resolver.js";
import { ImageEventResolver } from "./graphql/resolvers/image-event.resolver.js";
import { ImageResolver } from "./graphql/resolvers/image.resolver.js";
import { ShareLinkResolver } from "./graphql/resolvers/share-link.resolver.js";
import { UserResolver } from "./graphql/resolvers/user.resolver.js";
import { buildGraphQLSchema } from "./graphql/schema.js";
import { sendError } from "./http/error-reply.js";
import { AccessLogController } from "./http/access-log.js";
import { registerHealthRoutes } from "./http/health.routes.js";
import { registerImageLinkRoutes } from "./http/image-link.routes.js";
import { registerShareLinkRoutes } from "./http/share-link.routes.js";
import { countDependencyErrors, Metrics, registerMetricsRoutes } from "./http/metrics.js";
import { registerLocalBlobRoutes } from "./http/local-blob.routes.js";
import { registerUploadRelayRoutes } from "./http/upload-relay.routes.js";
import { presentedSecret } from "./http/presented-secret.js";
import { registerSecurityHeaders } from "./http/security-headers.js";
import { DEFAULT_WEB_DIST_DIR, acceptsHtml, registerWebApp } from "./http/web-app.routes.js";
import { registerWebSessionRoutes } from "./http/web-session.routes.js";
import { GraphQLWebSocketServer } from "./live/graphql-ws-server.js";
import { connectRedis } from "./redis/redis-client.js";
import { guardRedisErrors } from "./redis/guard-redis-errors.js";
import { RedisAccountStore } from "./redis/redis-account-store.js";
import { RedisImageEventFeed, RedisImageEventPublisher } from "./redis/redis-image-events.js";
import { RedisAlbumStore } from "./redis/redis-album-store.js";
import { RedisImageStore } from "./redis/redis-image-store.js";
import { RedisShareLinkStore } from "./redis/redis-share-link-store.js";
import { RedisInviteStore } from "./redis/redis-invite-store.js";
import { RedisUserDirectory } from "./redis/redis-user-directory.js";
import { RedisRateLimitStore } from "./redis/redis-rate-limit-store.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { JobWorker } from "./ports/job-queue.js";
import { BullMqJobQueue } from "./queue/bullmq-job-queue.js";
import { ImagePipeline } from "./services/image-pipeline.service.js";
import { registerRestRoutes } from "./rest/rest-routes.js";
import { AccessGrants } from "./services/access-grants.js";
import { AccountDeletion } from "./services/account-deletion.service.js";
import { AccountService } from "./services/account.service.js";
import { Backfill } from "./services/backfill.service.js";
import { AlbumService } from "./services/album.service.js";
import { AdminService, type AuditLog } from "./services/admin.service.js";
import { InviteService } from "./services/invite.service.js";
import { OwnAccountService } from "./services/own-account.service.js";
import { ImageService } from "./services/image.service.js";
import { SERVED_KEY_PREFIX } from "./services/image-keys.js";
import { UploadService } from "./services/upload.service.js";
import { LiveEventsService } from "./services/live-events.service.js";
import { ReadinessService } from "./services/readiness.service.js";
import { ShareLinkService } from "./services/share-link.service.js";
import { Sweeper } from "./services/sweeper.service.js";
import { type ConfiguredBlobStore, createBlobStore } from "./storage/create-blob-store.js";
import { withCachedDownloadUrls } from "./storage/download-url-cache.js";
import { LinkCache } from "./services/link-cache.js";
import type { ServableImage } from "./ports/image-store.js";
import { browserStorageOrigins } from "./storage/storage-origins.js";
import { loadOrCreateSigningSecret } from "./storage/signing-secret.js";
import { clientGoneSignal } from "./http/client-gone.js";

/** SEC-7: request bodies on /graphql and JSON routes. */
const JSON_BODY_LIMIT_BYTES = 100 * 1024;
/** SEC-18: how long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface App {
  readonly http: FastifyInstance;
  /** The subscription endpoint (WebSocket on /graphql). */
  readonly live: GraphQLWebSocketServer;
  /** Starts listening on the configured host and port; resolves to the bound address. */
  listen(): Promise<string>;
  /** Graceful stop (SEC-18): stop accepting, finish in-flight requests (bounded), close Redis. Idempotent. */
  close(): Promise<void>;
}

/** Everything below the HTTP edge, built from the validated config. */
export interface Services {
  readonly accounts: AccountService;
  readonly ownAccount: OwnAccountService;
  readonly admin: AdminService;
  readonly images: ImageService;
  readonly uploads: UploadService;
  readonly albums: AlbumService;
  readonly shares: ShareLinkService;
  readonly blobs: BlobStore;
  /** What the HTTP edge serves for the store's URLs: local uploads and files, or the S3 upload relay. */
  readonly storageRoutes: Pick<ConfiguredBlobStore, "local" | "relay">;
  readonly sweeper: Sweeper;
  /** `npm run backfill`: queues the images recorded before the pipeline existed. */
  readonly backfill: Backfill;
  readonly metrics: Metrics;
  /** Image events for subscriptions, heard through this node's Redis subscriber connection. */
  readonly live: LiveEventsService;
  /** GET /ready and /redis-check: probes of the same Redis connection and blob store the requests use. */
  readonly readiness: ReadinessService;
  /** Image jobs waiting or running. */
  readonly jobs: BullMqJobQueue;
  /** Starts one pipeline worker in this process (it takes `config.pipeline.concurrency` jobs at once). */
  startWorker(): Promise<JobWorker>;
  /** Stops the workers started here (finishing running jobs, bounded), then closes storage clients and Redis. */
  close(): Promise<void>;
}

export interface ServicesOptions {
  /** Where admin actions are recorded; default: one JSON line each on stderr. */
  audit?: AuditLog;
}

/** The composition root, part one: stores, adapters and services. Used by the server and by `npm run sweep`. */
export async function createServices(config: Config, options: ServicesOptions = {}): Promise<Services> {
  const redis = await connectRedis(config.redis);
  let feed: RedisImageEventFeed | null = null;
  const jobs = new BullMqJobQueue(config.redis, config.pipeline.queueName);
  try {
    feed = await RedisImageEventFeed.connect(config.redis);
    const metrics = new Metrics();
    const redisPort = <T extends object>(store: T) => countDependencyErrors(guardRedisErrors(store), metrics);
    const accountStore = redisPort(new RedisAccountStore(redis));
    const rateLimits = redisPort(new RedisRateLimitStore(redis));
    const users = redisPort(new RedisUserDirectory(redis));
    const invites = new InviteService(redisPort(new RedisInviteStore(redis)));
    const accounts = await AccountService.create(accountStore, rateLimits, { users, invites }, config.auth);
    const signingSecret = await loadOrCreateSigningSecret(config.dataDir, config.uploads.signingSecret);
    const configured = createBlobStore(config.storage, { publicUrl: config.http.publicUrl, signingSecret });
    const blobs = configured.store;
    // Fail at start, with the adapter's clear message, when the bucket or directory is unusable.
    await blobs.checkReady();
    const imageStore = redisPort(new RedisImageStore(redis));
    const albumStore = redisPort(new RedisAlbumStore(redis));
    const grants = new AccessGrants(signingSecret);
    const linkCache = config.linkCache && new LinkCache<ServableImage>(config.linkCache);
    const stopWatching = linkCache ? await imageStore.watchChanges(linkCache) : async () => {};
    const serviceBlobs = countDependencyErrors(withCachedDownloadUrls(blobs), metrics);
    const queue = redisPort(jobs);
    const images = new ImageService(
      imageStore,
      serviceBlobs,
      grants,
      {
        linkCache,
        publicUrl: config.http.publicUrl,
        forgetImage: (imageId) => albumStore.forgetImage(imageId),
        events: redisPort(new RedisImageEventPublisher(redis)),
      },
      queue,
    );
    const uploads = new UploadService(imageStore, serviceBlobs, images, queue, {
      ...config.uploads,
      onUploadOutcome: (outcome) => metrics.uploads.inc({ outcome }),
    });
    const pipeline = new ImagePipeline(imageStore, blobs, images, { keepOriginals: config.pipeline.keepOriginals });
    const workers: JobWorker[] = [];
    const albums = new AlbumService(albumStore, images, { publicUrl: config.http.publicUrl });
    const shares = new ShareLinkService(redisPort(new RedisShareLinkStore(redis)), images, albums, grants, {
      publicUrl: config.http.publicUrl,
    });
    const deletion = new AccountDeletion({
      accounts: accountStore,
      users,
      imageStore,
      blobs,
      limits: rateLimits,
      images,
      albums,
      shares,
    });
    const audit = options.audit ?? ((entry) => process.stderr.write(`${JSON.stringify({ audit: entry })}\n`));
    return {
      accounts,
      ownAccount: new OwnAccountService(accounts, accountStore, deletion),
      admin: new AdminService(
        { users, imageStore, images, invites, deletion, isAdminName: (name) => accounts.isAdminName(name) },
        audit,
      ),
      images,
      uploads,
      albums,
      shares,
      blobs,
      storageRoutes: { local: configured.local, relay: configured.relay },
      metrics,
      backfill: new Backfill(imageStore, images),
      sweeper: new Sweeper(
        imageStore,
        blobs,
        images,
        Date.now,
        { users, deletion },
        { keepOriginals: config.pipeline.keepOriginals },
      ),
      live: new LiveEventsService(feed),
      readiness: new ReadinessService({
        redis: () => new RedisAccountStore(redis).checkReady(),
        storage: () => blobs.checkReady(),
      }),
      jobs,
      async startWorker() {
        const worker = await jobs.startWorker((imageId, attempt) => pipeline.process(imageId, attempt), {
          concurrency: config.pipeline.concurrency,
        });
        workers.push(worker);
        return worker;
      },
      async close() {
        await Promise.all(workers.splice(0).map((worker) => worker.close()));
        await jobs.close();
        await stopWatching();
        configured.close();
        await feed?.close();
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  } catch (error) {
    await feed?.close();
    await jobs.close();
    redis.disconnect();
    throw error;
  }
}

export interface AppOptions {
  /** The built web app served at `/` (default: web/dist of this checkout). */
  webDistDir?: string;
  /** Where the JSON log lines go (default: stdout). */
  logStream?: { write(line: string): void };
}

/** The composition root, part two: the HTTP server over the services. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const http = Fastify({
    logger: { level: config.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    logController: new AccessLogController(),
    genReqId: () => randomUUID(),
    // SEC-3: X-Forwarded-For counts only for the configured number of proxy hops; otherwise the socket decides.
    trustProxy:
      config.http.trustProxyHops > 0 ? (_address: string, hop: number) => hop < config.http.trustProxyHops : false,
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    // SEC-12: an absurdly long id must still reach the route and get a plain 404, not a 414.
    routerOptions: { maxParamLength: 16 * 1024 },
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });
  // Every admin action is a log line at info level, naming who did it (issue 20).
  const services = await createServices(config, { audit: (entry) => http.log.info({ audit: entry }, "admin action") });
  const { accounts, images, blobs } = services;
  try {
    // `npm start` embeds the pipeline's workers (WORKERS, default 1); an API-only node sets WORKERS=0.
    for (let i = 0; i < config.pipeline.workers; i++) await services.startWorker();
    http.setErrorHandler((error, request, reply) => sendError(request, reply, error));
    // Every response names its request, so a client can quote it and an operator find its log lines.
    // Callback-style (as the hooks on every request are): no promise per request on the hot path.
    http.addHook("onRequest", (request, reply, done) => {
      reply.header("x-request-id", request.id);
      done();
    });
    const ownOrigin = new URL(config.http.publicUrl).origin;
    // Cookies are parsed and written by @fastify/cookie (also its standalone parse, for WebSocket upgrades).
    await http.register(fastifyCookie);
    registerSecurityHeaders(http, { storageOrigins: await browserStorageOrigins(blobs, ownOrigin) });
    // Before the other routes: it adds the root-level origin guard for cookie-authenticated writes (SEC-5).
    registerWebSessionRoutes(http, accounts, {
      publicUrl: config.http.publicUrl,
      appOrigins: config.http.appOrigins,
    });
    registerMetricsRoutes(http, services.metrics, config.metricsToken);
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
    registerShareLinkRoutes(http, services.shares);
    registerRestRoutes(http, { accounts, images, uploads: services.uploads, readiness: services.readiness });
    const { local, relay } = services.storageRoutes;
    if (local !== null) registerLocalBlobRoutes(http, local, { servedPrefix: SERVED_KEY_PREFIX });
    if (relay !== null) registerUploadRelayRoutes(http, relay.store, relay.tokens);

    const schema = await buildGraphQLSchema([
      new AccountResolver(accounts, services.ownAccount),
      new AdminResolver(services.admin),
      new ApiKeyResolver(accounts),
      new ImageResolver(images, services.uploads),
      new ImageEventResolver(images),
      new AlbumResolver(services.albums, images, services.shares),
      new ShareLinkResolver(services.shares),
      new UserResolver(services.admin),
    ]);
    // SEC-6: with the explorer off, no "Did you mean" hints that would map the schema out (HTTP and WebSocket).
    const formatError = config.graphql.explorer
      ? formatGraphQLError
      : (formatted: GraphQLFormattedError, error: unknown) =>
          withoutSchemaSuggestions(formatGraphQLError(formatted, error));
    // SEC-6: every option that matters is set here explicitly, none left to NODE_ENV.
    const apollo = new ApolloServer<GraphQLContext>({
      schema,
      introspection: config.graphql.explorer,
      // SEC-6: with the explorer off, no "Did you mean" hints that would map the schema out.
      hideSchemaDetailsFromClientErrors: !config.graphql.explorer,
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
      ],
    });
    await apollo.start();
    // Subscriptions: graphql-ws on the same port and path, through the HTTP server's upgrade event.
    const live = new GraphQLWebSocketServer({
      schema,
      accounts,
      live: services.live,
      limits: config.live,
      ownOrigin,
      corsOrigins: config.http.corsOrigins,
      maxTokens: GRAPHQL_LIMITS.maxTokens,
      validationRules: [maxDepthRule(GRAPHQL_LIMITS.maxDepth), maxAliasesRule(GRAPHQL_LIMITS.maxAliases)],
      formatError,
      log: http.log,
    });
    http.server.on("upgrade", (request, socket, head) => live.handleUpgrade(request, socket, head));
    const graphql = fastifyApolloHandler(apollo, {
      context: async (request, reply): Promise<GraphQLContext> => {
        let viewer: ReturnType<GraphQLContext["viewer"]> | undefined;
        return {
          requestId: request.id,
          clientIp: request.ip,
          // Made on first use: most operations never wait on anything the client could abandon.
          get signal() {
            return clientGoneSignal(reply.raw);
          },
          viewer: () => (viewer ??= accounts.authenticate(presentedSecret(request.headers))),
        };
      },
    });
    // The web app at `/`, client-side routes falling back to index.html; API paths keep their JSON 404s.
    const web = await registerWebApp(http, { distDir: options.webDistDir ?? DEFAULT_WEB_DIST_DIR });
    http.setNotFoundHandler((request, reply) => web.notFound(request, reply));
    http.route<{ Reply: string }>({
      method: ["GET", "POST"],
      url: "/graphql",
      // A browser opening /graphql gets the playground (SEC-6: only while the explorer switch is on); every other GET
      // and every POST is a GraphQL request for Apollo.
      onRequest: async (request, reply) => {
        if (request.method === "POST" || !acceptsHtml(request)) return;
        if (!config.graphql.explorer)
          return sendError(request, reply, notFound("The GraphQL playground is turned off on this server."));
        return web.servePlayground(request, reply);
      },
      handler: graphql,
    });

    let closing: Promise<void> | undefined;
    return {
      http,
      live,
      async listen() {
        return http.listen({ host: config.http.host, port: config.http.port });
      },
      close() {
        closing ??= (async () => {
          const force = setTimeout(() => http.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          // Keep-alive connections go idle as their last request finishes; close each as soon as it does.
          const sweepIdle = setInterval(() => http.server.closeIdleConnections(), 50);
          try {
            // WebSockets first (1001, Going Away): the HTTP server would otherwise wait for them.
            await live.close();
            await http.close();
          } finally {
            clearTimeout(force);
            clearInterval(sweepIdle);
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
