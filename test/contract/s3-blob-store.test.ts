import { PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import Fastify from "fastify";
import type { S3StorageConfig } from "../../server/config.js";
import { registerUploadRelayRoutes } from "../../server/http/upload-relay.routes.js";
import { RelayTokens } from "../../server/storage/upload-relay-token.js";
import { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { freePort } from "../support/redis-server.js";
import { rgwBucket } from "../support/rgw-bucket.js";
import { defineBlobStoreContract, uploadViaTarget, type BlobStoreCapabilities } from "./blob-store.js";

// A real S3 (Ceph RGW 16.2): it checks signatures, signed headers and POST policies, so the store is shown
// refusing bad uploads. It ignores CopySourceIfMatch and x-amz-checksum-* (RGW-NOTES.md).
const rgwCapabilities: BlobStoreCapabilities = {
  enforcesUploadLimits: true,
  // Such PUTs go through the relay on our server, which stops at maxBytes.
  limitsUndeclaredSizePut: true,
  honoursCopySourceIfMatch: false,
  verifiesChecksumHeaders: false,
};

/**
 * An S3BlobStore on a fresh bucket of the run's RGW, configured from that bucket by `configure`, with its upload
 * relay (for PUTs of undeclared size) served on a free port as the app serves it.
 */
function rgwHarness(configure: (bucket: S3StorageConfig) => Promise<S3StorageConfig>) {
  return async () => {
    const port = await freePort();
    const tokens = new RelayTokens(randomBytes(32));
    const store = new S3BlobStore(
      await configure(await rgwBucket()),
      {},
      {
        publicUrl: `http://127.0.0.1:${port}`,
        tokens,
      },
    );
    const relay = Fastify({ logger: false });
    registerUploadRelayRoutes(relay, store, tokens);
    await relay.listen({ port, host: "127.0.0.1" });
    return {
      store,
      upload: uploadViaTarget,
      cleanup: async () => {
        await relay.close();
        store.close();
      },
    };
  };
}

defineBlobStoreContract(
  "s3 (RGW, presigned GET)",
  rgwHarness(async (bucket) => bucket),
  rgwCapabilities,
);

// A bucket policy lets anyone GET, so the bucket's own URL stands in for a CDN in front of it.
defineBlobStoreContract(
  "s3 (RGW, public base URL)",
  rgwHarness(async (bucket) => {
    const client = new S3Client({
      region: bucket.region,
      endpoint: bucket.endpoint!,
      forcePathStyle: true,
      credentials: bucket.credentials!,
    });
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: "*",
          Action: ["s3:GetObject"],
          Resource: [`arn:aws:s3:::${bucket.bucket}/*`],
        },
      ],
    };
    try {
      await client.send(new PutBucketPolicyCommand({ Bucket: bucket.bucket, Policy: JSON.stringify(policy) }));
    } finally {
      client.destroy();
    }
    return { ...bucket, publicUrl: `${bucket.endpoint}/${bucket.bucket}` };
  }),
  rgwCapabilities,
);
