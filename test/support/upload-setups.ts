import { afterAll, beforeAll, expect } from "vitest";
import type { S3StorageConfig } from "../../server/config.js";
import { gql, uniqueUsername } from "./graphql.js";
import { startTestRedisCluster, type TestRedisCluster } from "./redis-cluster.js";
import { rgwBucket, rgwEnv } from "./rgw-bucket.js";
import { startTestApp, type TestApp } from "./test-app.js";
import { COMPLETE_UPLOAD, type ImageData, requestUpload } from "./uploads.js";

// The upload-flow suites (test/integration/uploads-*.test.ts) run on every storage driver and Redis topology.

const REGISTER = `mutation($u: String!) { register(username: $u, password: "sturdy-maple-orbit-5") { apiKey user { id } } }`;

export type Connection = {
  myImages: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: ImageData }[];
    nodes: { id: string }[];
  };
};

/** The whole upload flow (DESIGN.md "Upload flow"; SEC-10–SEC-13, SEC-15, SEC-16), on both storage drivers. */
export const UPLOAD_SETUPS = [
  { name: "local driver", driver: "local", cluster: false },
  { name: "s3 driver (Ceph RGW)", driver: "s3", cluster: false },
  { name: "local driver on a 3-master Redis Cluster", driver: "local", cluster: true },
] as const;

export type UploadSetup = (typeof UPLOAD_SETUPS)[number];

/** A new account on the server at `baseUrl` (username `<prefix>_<random>`): its API key and user id. */
export async function registerUser(
  baseUrl: string,
  usernamePrefix: string,
): Promise<{ apiKey: string; userId: string }> {
  const r = await gql<{ register: { apiKey: string; user: { id: string } } }>(baseUrl, REGISTER, {
    u: uniqueUsername(usernamePrefix),
  });
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return { apiKey: r.data!.register.apiKey, userId: r.data!.register.user.id };
}

/** A new account on the server at `baseUrl`; its API key. */
export async function registerApiKey(baseUrl: string, usernamePrefix: string): Promise<string> {
  return (await registerUser(baseUrl, usernamePrefix)).apiKey;
}

/**
 * Starts a server for `setup` before the enclosing describe's tests (MAX_UPLOAD_BYTES 64 KiB) and stops it after;
 * the helpers are for use inside tests only.
 */
export function uploadServer(setup: UploadSetup) {
  let server: TestApp | undefined;
  let s3: S3StorageConfig | undefined;
  let redisCluster: TestRedisCluster | undefined;

  beforeAll(async () => {
    let env: Record<string, string> = { MAX_UPLOAD_BYTES: String(64 * 1024) };
    if (setup.cluster) {
      redisCluster = await startTestRedisCluster();
      env = { ...env, REDIS_CLUSTER_NODES: redisCluster.nodes };
    }
    if (setup.driver === "s3") {
      s3 = await rgwBucket();
      env = { ...env, ...rgwEnv(s3) };
    }
    server = await startTestApp(env);
  });
  afterAll(async () => {
    await server?.close();
    await redisCluster?.destroy();
  });

  const baseUrl = () => server!.baseUrl;
  return {
    baseUrl,
    /** The RGW bucket of the s3 setup; undefined for the others. */
    s3: () => s3,
    newUser: () => registerApiKey(baseUrl(), setup.driver),
    requestFor: (key: string, bytes: Buffer, contentType: string, filename = "f") =>
      requestUpload(baseUrl(), key, { filename, contentType, size: bytes.length }),
    complete: (key: string, uploadId: string) =>
      gql<{ completeUpload: ImageData }>(baseUrl(), COMPLETE_UPLOAD, { id: uploadId }, key),
  };
}
