import fs from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { S3StorageConfig } from "../../server/config.js";

/** The slice of s3rver's (untyped) API these tests use. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

// s3rver ships no types and is CommonJS; require it through a typed door instead of an ambient declaration.
const S3rver = createRequire(import.meta.url)("s3rver") as S3rverConstructor;

export interface RunningS3rver {
  /** e.g. `http://127.0.0.1:40123` */
  endpoint: string;
  bucket: string;
  /** A storage config pointing at this server, path-style, with s3rver's fixed credentials. */
  config: S3StorageConfig;
  /** Stops the server and removes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * An in-process S3 server on a free port of 127.0.0.1 with one empty bucket, storing under a fresh temp dir.
 * s3rver checks no signatures (`allowMismatchedSignatures`) and no POST policies: tests of what we sign must read
 * the URLs and policies themselves.
 */
export async function startS3rver(options: { bucket?: string } = {}): Promise<RunningS3rver> {
  const bucket = options.bucket ?? "imagehost-test";
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "imagehost-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    await fs.rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  let stopped = false;
  return {
    endpoint,
    bucket,
    config: {
      driver: "s3",
      bucket,
      region: "us-east-1",
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      publicUrl: null,
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        // Keep-alive sockets from SDK clients would otherwise hold close() open.
        server.httpServer?.closeAllConnections();
        await server.close();
      } finally {
        await fs.rm(directory, { recursive: true, force: true });
      }
    },
  };
}

/** Environment for startTestApp on the s3 driver, against this s3rver. */
export function s3Env(s3: RunningS3rver): Record<string, string> {
  return {
    STORAGE_DRIVER: "s3",
    S3_BUCKET: s3.bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: "true",
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
  };
}
