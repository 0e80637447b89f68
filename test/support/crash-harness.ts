import { randomBytes } from "node:crypto";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, inject } from "vitest";
import type { BlobStore } from "../../server/ports/blob-store.js";
import type { ImageStore } from "../../server/ports/image-store.js";
import type { JobQueue } from "../../server/ports/job-queue.js";
import { BullMqJobQueue } from "../../server/queue/bullmq-job-queue.js";
import { guardRedisErrors } from "../../server/redis/guard-redis-errors.js";
import { RedisAccountStore } from "../../server/redis/redis-account-store.js";
import { RedisImageStore } from "../../server/redis/redis-image-store.js";
import { RedisInviteStore } from "../../server/redis/redis-invite-store.js";
import { RedisRateLimitStore } from "../../server/redis/redis-rate-limit-store.js";
import { RedisUserDirectory } from "../../server/redis/redis-user-directory.js";
import { AccessGrants } from "../../server/services/access-grants.js";
import { AccountService } from "../../server/services/account.service.js";
import { CredentialService, type Viewer } from "../../server/services/credential.service.js";
import { newId } from "../../server/services/credentials.js";
import { ImageService } from "../../server/services/image.service.js";
import { InviteService } from "../../server/services/invite.service.js";
import { UploadService } from "../../server/services/upload.service.js";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { uniqueUsername } from "./graphql.js";
import { makeImage } from "./images.js";
import { rgwBucket, rgwEnv } from "./rgw-bucket.js";
import { startTestApp, type TestApp } from "./test-app.js";
import { type Ticket, sendBytes } from "./uploads.js";

// The services of test/integration/crash-recovery.test.ts, wired by hand so a test can swap in a failing adapter.

const TEST_ORIGIN = { clientIp: "192.0.2.1" };

interface CrashHarness {
  server: TestApp;
  redis: Redis;
  /** The server's own blob store (same directory and secret, or the same bucket). */
  blobs: BlobStore;
  /** A queue of the file's own, with no worker: jobs stay where the test can count them. */
  jobs: BullMqJobQueue;
}

/**
 * Before the enclosing describe's tests: the run's Redis, a real server on `driver` (for the upload URLs) and
 * services on its storage whose clock is `now`; all closed afterwards. The helpers are for use inside tests.
 */
export function crashHarness(driver: "local" | "s3", now: () => number) {
  const h = {} as CrashHarness;
  let s3Store: S3BlobStore | undefined;
  let accounts: AccountService;
  let credentials: CredentialService;
  const imageStore = () => guardRedisErrors(new RedisImageStore(h.redis));

  beforeAll(async () => {
    h.redis = new Redis(inject("redisUrl"));
    h.jobs = new BullMqJobQueue({ mode: "single", url: inject("redisUrl") }, `crash-${newId()}`);
    if (driver === "s3") {
      // A real S3 (RGW): the same bucket as the server.
      const bucket = await rgwBucket();
      h.server = await startTestApp(rgwEnv(bucket));
      h.blobs = s3Store = new S3BlobStore(bucket);
    } else {
      h.server = await startTestApp();
      // The same directory and signing secret as the server, so its upload route writes where this store reads.
      const secret = (await import("../../server/storage/signing-secret.js")).loadOrCreateSigningSecret(
        h.server.dataDir,
        null,
      );
      h.blobs = new LocalBlobStore({
        root: path.join(h.server.dataDir, "blobs"),
        publicUrl: h.server.baseUrl,
        signingSecret: await secret,
      });
    }
    const accountStore = guardRedisErrors(new RedisAccountStore(h.redis));
    const users = guardRedisErrors(new RedisUserDirectory(h.redis));
    credentials = new CredentialService(accountStore, users, { adminUsernames: [], sessionIdleSeconds: 3600 });
    accounts = await AccountService.create(
      accountStore,
      guardRedisErrors(new RedisRateLimitStore(h.redis)),
      { users, invites: new InviteService(guardRedisErrors(new RedisInviteStore(h.redis))), credentials },
      {
        registration: "open",
        bcryptCost: 10,
        abuseLimits: {
          loginFailuresPerUsername: 1000,
          loginFailuresPerIp: 1000,
          registrationsPerIp: 1000,
          registrationAttemptsPerIp: 1000,
        },
      },
    );
  });
  afterAll(async () => {
    await h.jobs?.close();
    h.redis?.disconnect();
    s3Store?.close();
    await h.server?.close();
  });

  function service(
    store: ImageStore = imageStore(),
    blobStore: BlobStore = h.blobs,
    queue: JobQueue = h.jobs,
  ): { images: ImageService; uploads: UploadService } {
    const images = new ImageService(
      store,
      blobStore,
      new AccessGrants(randomBytes(32)),
      { publicUrl: h.server.baseUrl, now },
      queue,
    );
    const uploads = new UploadService(store, blobStore, images, queue, {
      maxUploadBytes: 1024 * 1024,
      maxOpenTickets: 10,
      quotaImages: 100,
      quotaBytes: 10 * 1024 * 1024,
      now,
    });
    return { images, uploads };
  }

  async function viewer(): Promise<Viewer> {
    const issued = await accounts.register(uniqueUsername("crash"), "gentle-quartz-meadow-3", TEST_ORIGIN);
    return (await credentials.authenticate(issued.secret))!;
  }

  /** request + send bytes, not completed. */
  async function uploaded(
    uploads: UploadService,
    user: Viewer,
    options: { method?: "PUT" | "POST"; size?: number | null } = {},
  ): Promise<{ uploadId: string; bytes: Buffer; ticket: Ticket }> {
    const bytes = await makeImage("png");
    const { ticket: record, target } = await uploads.requestUpload(user, {
      filename: "p.png",
      contentType: "image/png",
      size: options.size === undefined ? bytes.length : options.size,
      method: options.method ?? "PUT",
    });
    const ticket = { ...target, uploadId: record.uploadId, expiresAt: "", maxBytes: record.maxBytes } as Ticket;
    const sent = await sendBytes(ticket, bytes);
    expect(sent.ok).toBe(true);
    return { uploadId: record.uploadId, bytes, ticket };
  }

  return { handle: h, imageStore, service, viewer, uploaded };
}

/** Wraps a real adapter; the named method fails on its `nth` call (1-based), like a crash at that step. */
export function failing<T extends object>(real: T, method: keyof T, nth = 1): T {
  let calls = 0;
  return new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (prop === method && ++calls === nth) throw new Error(`simulated crash in ${String(prop)}`);
        return value.apply(target, args);
      };
    },
  });
}
