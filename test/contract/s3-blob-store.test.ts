import { PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import type { S3StorageConfig } from "../../server/config.js";
import { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { rgwBucket } from "../support/rgw-bucket.js";
import { defineBlobStoreContract, uploadViaTarget, type BlobStoreCapabilities } from "./blob-store.js";

// A real S3 (Ceph RGW 16.2): it checks signatures, signed headers and POST policies, so the store is shown
// refusing bad uploads. It ignores CopySourceIfMatch and x-amz-checksum-* (RGW-NOTES.md).
const rgwCapabilities: BlobStoreCapabilities = {
  enforcesUploadLimits: true,
  // TODO(issue 15 point 2): a PUT issued without a size signs no length; RGW takes any body.
  limitsUndeclaredSizePut: false,
  honoursCopySourceIfMatch: false,
  verifiesChecksumHeaders: false,
};

/** An S3BlobStore on a fresh bucket of the run's RGW, configured from that bucket by `configure`. */
function rgwHarness(configure: (bucket: S3StorageConfig) => Promise<S3StorageConfig>) {
  return async () => {
    const store = new S3BlobStore(await configure(await rgwBucket()));
    return { store, upload: uploadViaTarget, cleanup: async () => store.close() };
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
