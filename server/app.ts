import "reflect-metadata";
import type { Config } from "./config.js";
import { countDependencyErrors, Metrics } from "./http/metrics.js";
import { type App, type AppOptions, createHttpServer, registerHttpApp } from "./http/http-app.js";
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
import { AccessGrants } from "./services/access-grants.js";
import { AccountDeletion } from "./services/account-deletion.service.js";
import { AccountService } from "./services/account.service.js";
import { CredentialService } from "./services/credential.service.js";
import { Backfill } from "./services/backfill.service.js";
import { AlbumService } from "./services/album.service.js";
import { AdminService, type AuditLog } from "./services/admin.service.js";
import { InviteService } from "./services/invite.service.js";
import { OwnAccountService } from "./services/own-account.service.js";
import { ImageService } from "./services/image.service.js";
import { UploadService } from "./services/upload.service.js";
import { LiveEventsService } from "./services/live-events.service.js";
import { ReadinessService } from "./services/readiness.service.js";
import { ShareLinkService } from "./services/share-link.service.js";
import { Sweeper } from "./services/sweeper.service.js";
import { type ConfiguredBlobStore, createBlobStore } from "./storage/create-blob-store.js";
import { withCachedDownloadUrls } from "./storage/download-url-cache.js";
import { LinkCache } from "./services/link-cache.js";
import type { ServableImage } from "./ports/image-store.js";
import { loadOrCreateSigningSecret } from "./storage/signing-secret.js";

export type { App, AppOptions } from "./http/http-app.js";

/** Everything below the HTTP edge, built from the validated config. */
export interface Services {
  /** Registration, login, passwords. */
  readonly accounts: AccountService;
  /** Sessions and API keys: who a presented secret is. */
  readonly credentials: CredentialService;
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
    const credentials = new CredentialService(accountStore, users, config.auth);
    const accounts = await AccountService.create(
      accountStore,
      rateLimits,
      { users, invites, credentials },
      config.auth,
    );
    const signingSecret = await loadOrCreateSigningSecret(config.dataDir, config.uploads.signingSecret);
    const configured = await createBlobStore(config.storage, { publicUrl: config.http.publicUrl, signingSecret });
    const blobs = configured.store;
    // Fail at start, with the adapter's clear message, when the bucket or directory is unusable.
    await blobs.checkReady();
    const imageStore = redisPort(new RedisImageStore(redis));
    const albumStore = redisPort(new RedisAlbumStore(redis));
    const grants = new AccessGrants(signingSecret);
    const linkCache = config.linkCache && new LinkCache<ServableImage>(config.linkCache);
    const stopWatching = linkCache ? await imageStore.watchChanges(linkCache) : async () => {};
    // Signing an S3 URL is worth caching; a local URL is a string concatenation that never expires, and caching it
    // only kept a promise and its result per image (6,577 of them in the server's heap after a bench run).
    const urlCached = blobs.driver === "s3" ? withCachedDownloadUrls(blobs) : blobs;
    const serviceBlobs = countDependencyErrors(urlCached, metrics);
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
      credentials,
      ownAccount: new OwnAccountService(accounts, accountStore, deletion),
      admin: new AdminService(
        { users, imageStore, images, invites, deletion, isAdminName: (name) => credentials.isAdminName(name) },
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

/** The composition root, part two: the HTTP server (server/http/http-app.ts) over the services. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const server = createHttpServer(config, options);
  // Every admin action is a log line at info level, naming who did it (issue 20).
  const services = await createServices(config, {
    audit: (entry) => server.http.log.info({ audit: entry }, "admin action"),
  });
  try {
    // `npm start` embeds the pipeline's workers (WORKERS, default 1); an API-only node sets WORKERS=0.
    for (let i = 0; i < config.pipeline.workers; i++) await services.startWorker();
    return await registerHttpApp(server, services, config, options);
  } catch (error) {
    await services.close();
    throw error;
  }
}
