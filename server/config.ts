import os from "node:os";
import path from "node:path";
import { envSchema } from "./config-schema.js";

/**
 * Configuration, parsed from the environment once at start. Every problem is collected and reported together;
 * the rest of the server only ever sees the frozen, typed `Config`. A disabled feature is `null`, not a flag.
 */
export interface Config {
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** Base of links handed to users, without a trailing slash. */
    readonly publicUrl: string;
    /** Number of reverse-proxy hops whose `X-Forwarded-For` we believe; 0 = use the socket address. */
    readonly trustProxyHops: number;
    /** Origins allowed by CORS; empty = CORS off. */
    readonly corsOrigins: readonly string[];
    /**
     * Origins the web app may change state from with its cookie (SEC-5): PUBLIC_URL's, and only while PUBLIC_URL is
     * the default on a loopback HOST, the other loopback name too (`http://localhost:3000` beside
     * `http://127.0.0.1:3000`). A PUBLIC_URL that is set is never widened.
     */
    readonly appOrigins: readonly string[];
  };
  readonly redis:
    | { readonly mode: "single"; readonly url: string }
    | { readonly mode: "cluster"; readonly nodes: readonly { host: string; port: number }[] };
  readonly storage: LocalStorageConfig | S3StorageConfig;
  /** Local blobs, managed Redis data and generated secrets live here (absolute path). */
  readonly dataDir: string;
  readonly uploads: {
    /** Largest accepted image, bytes. */
    readonly maxUploadBytes: number;
    /** Secret for signing local upload URLs; null = generate one under dataDir. */
    readonly signingSecret: string | null;
    /** SEC-13: upload tickets a user may hold open at once. */
    readonly maxOpenTickets: number;
    /** SEC-13: images per user. */
    readonly quotaImages: number;
    /** SEC-13: stored bytes per user. */
    readonly quotaBytes: number;
  };
  /** The image pipeline (issue 13): BullMQ workers making public images, thumbnails and placeholders. */
  readonly pipeline: {
    /** Workers this process runs (`npm start` embeds them; `npm run worker` runs at least one); 0 = none. */
    readonly workers: number;
    /** Jobs one worker runs at once. */
    readonly concurrency: number;
    /** Keep the uploaded bytes (owner only, never served) after the public image exists. */
    readonly keepOriginals: boolean;
    /** BullMQ queue name; every node of one installation must use the same. */
    readonly queueName: string;
  };
  readonly auth: {
    /** Who may create an account: anyone, holders of an invite code, or nobody (admins always may). */
    readonly registration: RegistrationMode;
    /** Case-folded usernames of the admins (ADMIN_USERNAMES); the only way to become one. */
    readonly adminUsernames: readonly string[];
    readonly bcryptCost: number;
    /** A login session expires after this many seconds without use. */
    readonly sessionIdleSeconds: number;
    /** SEC-3: failed logins per username and per IP per 15 minutes, registrations per IP per hour. */
    readonly abuseLimits: {
      readonly loginFailuresPerUsername: number;
      readonly loginFailuresPerIp: number;
      readonly registrationsPerIp: number;
      readonly registrationAttemptsPerIp: number;
    };
  };
  /** Bearer token guarding `/metrics`; null = no metrics endpoint. */
  readonly metricsToken: string | null;
  readonly graphql: {
    /** One switch for introspection and the playground (SEC-6). */
    readonly explorer: boolean;
  };
  /** GraphQL subscriptions over WebSocket (graphql-ws on /graphql). */
  readonly live: LiveConfig;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** The public link's in-process cache of what each image serves (issue 16); null = off. */
  readonly linkCache: { readonly maxEntries: number; readonly ttlMs: number } | null;
}

export interface LiveConfig {
  /** Subscriptions one WebSocket may run at once. */
  readonly maxSubscriptionsPerConnection: number;
  /** WebSockets one user may hold open on one node. */
  readonly maxConnectionsPerUser: number;
  /** Largest message a client may send, bytes. */
  readonly maxMessageBytes: number;
  /** A socket that sends no `connection_init` within this many milliseconds is closed. */
  readonly connectionInitTimeoutMs: number;
  /** Ping interval, milliseconds; a socket that does not answer with a pong within another interval is dropped. */
  readonly keepAliveMs: number;
  /** How often each socket's credential is checked again, milliseconds (a revoked key is cut off within this). */
  readonly credentialRecheckMs: number;
}

export type RegistrationMode = "open" | "invite" | "closed";

interface LocalStorageConfig {
  readonly driver: "local";
  /** Absolute directory holding the blobs. */
  readonly root: string;
}

export interface S3StorageConfig {
  readonly driver: "s3";
  readonly bucket: string;
  readonly region: string;
  /** null = AWS's own endpoint for the region. */
  readonly endpoint: string | null;
  readonly forcePathStyle: boolean;
  /** null = the AWS SDK's default credential chain. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | null;
  /** Public or CDN base to redirect to; null = presigned GETs. */
  readonly publicUrl: string | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The loopback names a browser on this machine may use for the default PUBLIC_URL; just HOST's otherwise. */
function defaultAppOrigins(host: string, port: number): string[] {
  const origin = (name: string) => `http://${name.includes(":") ? `[${name}]` : name}:${port}`;
  const loopback: Record<string, string[]> = {
    "127.0.0.1": ["127.0.0.1", "localhost"],
    "::1": ["::1", "localhost"],
    localhost: ["localhost", "127.0.0.1", "::1"],
  };
  return (loopback[host] ?? [host]).map(origin);
}

/** Parses `env` into a frozen Config, or throws a ConfigError listing every problem at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Config {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const e = parsed.data;

  const dataDir = path.resolve(cwd, e.DATA_DIR);
  let storage: Config["storage"];
  if (e.STORAGE_DRIVER === "s3") {
    const bucket = e.S3_BUCKET ?? e.AWS_S3_BUCKET_NAME;
    if (!bucket) problems.push("S3_BUCKET: required when STORAGE_DRIVER=s3 (AWS_S3_BUCKET_NAME is accepted too)");
    if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY))
      problems.push("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both or neither");
    storage = {
      driver: "s3",
      bucket: bucket ?? "",
      region: e.S3_REGION ?? e.AWS_REGION ?? "us-east-1",
      endpoint: e.S3_ENDPOINT ?? null,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      credentials:
        e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
          ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
          : null,
      publicUrl: e.S3_PUBLIC_URL ?? null,
    };
  } else {
    storage = { driver: "local", root: path.join(dataDir, "blobs") };
  }

  const corsOrigins = e.CORS_ORIGINS.split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://example.com`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  const publicUrl = e.PUBLIC_URL ?? `http://${e.HOST.includes(":") ? `[${e.HOST}]` : e.HOST}:${e.PORT}`;
  const config: Config = {
    http: {
      host: e.HOST,
      port: e.PORT,
      publicUrl,
      trustProxyHops: e.TRUST_PROXY,
      corsOrigins,
      appOrigins: e.PUBLIC_URL === undefined ? defaultAppOrigins(e.HOST, e.PORT) : [new URL(publicUrl).origin],
    },
    redis: e.REDIS_CLUSTER_NODES
      ? { mode: "cluster", nodes: e.REDIS_CLUSTER_NODES }
      : { mode: "single", url: e.REDIS_URL },
    storage,
    dataDir,
    uploads: {
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      signingSecret: e.UPLOAD_SIGNING_SECRET ?? null,
      maxOpenTickets: e.MAX_OPEN_UPLOADS,
      quotaImages: e.QUOTA_IMAGES,
      quotaBytes: e.QUOTA_BYTES,
    },
    pipeline: {
      workers: e.WORKERS,
      // Decoding and encoding run on libvips threads; one job per core keeps them busy without queueing.
      concurrency: e.WORKER_CONCURRENCY ?? os.availableParallelism(),
      keepOriginals: e.KEEP_ORIGINALS,
      queueName: e.QUEUE_NAME,
    },
    auth: {
      registration: e.REGISTRATION,
      adminUsernames: e.ADMIN_USERNAMES,
      bcryptCost: e.BCRYPT_COST,
      sessionIdleSeconds: e.SESSION_IDLE_DAYS * 24 * 3600,
      abuseLimits: {
        loginFailuresPerUsername: e.LOGIN_FAILURES_PER_USER,
        loginFailuresPerIp: e.LOGIN_FAILURES_PER_IP,
        registrationsPerIp: e.REGISTRATIONS_PER_IP,
        registrationAttemptsPerIp: e.REGISTRATION_ATTEMPTS_PER_IP,
      },
    },
    metricsToken: e.METRICS_TOKEN ?? null,
    graphql: { explorer: e.GRAPHQL_EXPLORER },
    live: {
      maxSubscriptionsPerConnection: e.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxConnectionsPerUser: e.WS_MAX_CONNECTIONS_PER_USER,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      connectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_SECONDS * 1000,
      keepAliveMs: e.WS_KEEPALIVE_SECONDS * 1000,
      credentialRecheckMs: e.WS_CREDENTIAL_RECHECK_SECONDS * 1000,
    },
    logLevel: e.LOG_LEVEL,
    // Entries are a storage key and a content type (~200 bytes each): the default holds about 10 MB. The TTL is
    // only a backstop; the image-changes feed is what keeps entries fresh.
    linkCache: e.LINK_CACHE_ENTRIES > 0 ? { maxEntries: e.LINK_CACHE_ENTRIES, ttlMs: 10 * 60_000 } : null,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
