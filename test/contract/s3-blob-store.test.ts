import type { S3StorageConfig } from "../../server/config.js";
import { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { startS3rver, type RunningS3rver } from "../support/s3rver.js";
import { defineBlobStoreContract, uploadViaTarget } from "./blob-store.js";

// s3rver checks no signature and no POST policy, so the store cannot be shown refusing bad uploads here; the
// signed headers and the policy are checked by reading them in test/unit/s3-presign.test.ts.
const capabilities = { enforcesUploadLimits: false, checksCopyPreconditions: false };

/** An S3BlobStore on a fresh s3rver, configured from that server by `configure`. */
function s3Harness(configure: (s3: RunningS3rver) => S3StorageConfig) {
  return async () => {
    const s3 = await startS3rver();
    const store = new S3BlobStore(configure(s3));
    return {
      store,
      upload: uploadViaTarget,
      cleanup: async () => {
        store.close();
        await s3.stop();
      },
    };
  };
}

defineBlobStoreContract(
  "s3 (s3rver, presigned GET)",
  s3Harness((s3) => s3.config),
  capabilities,
);

// s3rver serves unsigned GETs, so the bucket's own URL stands in for a CDN in front of it.
defineBlobStoreContract(
  "s3 (s3rver, public base URL)",
  s3Harness((s3) => ({ ...s3.config, publicUrl: `${s3.endpoint}/${s3.bucket}` })),
  capabilities,
);
