import { z } from "zod";
import { normalizeUsername } from "./services/password-policy.js";

/**
 * Every environment variable the server reads, how it parses and its default (the README's configuration table
 * lists the same). `loadConfig` (config.ts) checks what spans several variables and builds the typed `Config`.
 */

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const httpUrl = z
  .string()
  .url("must be a URL")
  .refine((u) => /^https?:\/\//.test(u), "must start with http:// or https://")
  .transform((u) => u.replace(/\/+$/, ""));

const redisUrl = z
  .string()
  .url("must be a URL")
  .refine((u) => /^rediss?:\/\//.test(u), "must start with redis:// or rediss://");

const hostPortList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, "each entry must be host:port"))
      .min(1, "must list at least one host:port"),
  )
  .transform((entries) =>
    entries.map((e) => {
      const i = e.lastIndexOf(":");
      return { host: e.slice(0, i), port: Number(e.slice(i + 1)) };
    }),
  );

const nonEmpty = z.string().trim().min(1, "must not be empty");

export const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: nonEmpty.default("127.0.0.1"),
  PUBLIC_URL: httpUrl.optional(),
  TRUST_PROXY: int(0, 10).default(0),
  CORS_ORIGINS: z.string().default(""),
  REDIS_URL: redisUrl.default("redis://127.0.0.1:6379"),
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  STORAGE_DRIVER: z.enum(["local", "s3"], { message: "must be local or s3" }).default("local"),
  DATA_DIR: nonEmpty.default("./data"),
  S3_BUCKET: nonEmpty.optional(),
  AWS_S3_BUCKET_NAME: nonEmpty.optional(),
  S3_REGION: nonEmpty.optional(),
  AWS_REGION: nonEmpty.optional(),
  S3_ENDPOINT: httpUrl.optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_ACCESS_KEY_ID: nonEmpty.optional(),
  S3_SECRET_ACCESS_KEY: nonEmpty.optional(),
  S3_PUBLIC_URL: httpUrl.optional(),
  MAX_UPLOAD_BYTES: int(1, 1024 ** 3).default(20 * 1024 * 1024),
  UPLOAD_SIGNING_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  MAX_OPEN_UPLOADS: int(1, 1000).default(10),
  QUOTA_IMAGES: int(1, 1e9).default(10_000),
  QUOTA_BYTES: int(1, 2 ** 50).default(5 * 1024 ** 3),
  REGISTRATION: z.enum(["open", "invite", "closed"], { message: "must be open, invite or closed" }).default("open"),
  ADMIN_USERNAMES: z
    .string()
    .default("")
    .transform((list, ctx) => {
      const keys = new Set<string>();
      for (const name of list
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean)) {
        try {
          keys.add(normalizeUsername(name).key);
        } catch {
          ctx.addIssue({ code: "custom", message: `"${name}" is not a valid username` });
        }
      }
      return [...keys];
    }),
  WORKERS: int(0, 64).default(1),
  WORKER_CONCURRENCY: int(1, 256).optional(),
  KEEP_ORIGINALS: bool.default(false),
  QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 of A-Z a-z 0-9 _ -")
    .default("images"),
  BCRYPT_COST: int(10, 15).default(12),
  SESSION_IDLE_DAYS: int(1, 365).default(30),
  LOGIN_FAILURES_PER_USER: int(1, 1e6).default(10),
  LOGIN_FAILURES_PER_IP: int(1, 1e6).default(30),
  REGISTRATIONS_PER_IP: int(1, 1e6).default(5),
  REGISTRATION_ATTEMPTS_PER_IP: int(1, 1e6).default(30),
  GRAPHQL_EXPLORER: bool.default(true),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: int(1, 100).default(5),
  WS_MAX_CONNECTIONS_PER_USER: int(1, 1000).default(20),
  WS_MAX_MESSAGE_BYTES: int(1024, 1024 * 1024).default(16 * 1024),
  WS_CONNECTION_INIT_TIMEOUT_SECONDS: int(1, 60).default(5),
  WS_KEEPALIVE_SECONDS: int(1, 300).default(15),
  WS_CREDENTIAL_RECHECK_SECONDS: int(1, 5).default(2),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LINK_CACHE_ENTRIES: int(0, 10_000_000).default(50_000),
});
