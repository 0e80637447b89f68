import { S3BlobStore } from "../../server/storage/s3-blob-store.js";
import { startS3rver } from "../support/s3rver.js";
import { defineBlobStoreContract, uploadViaTarget } from "./blob-store.js";

// s3rver checks no signature and no POST policy, so the store cannot be shown refusing bad uploads here; the
// signed headers and the policy are checked by reading them in test/unit/s3-presign.test.ts.
const capabilities = { enforcesUploadLimits: false, checksCopyPreconditions: false };

defineBlobStoreContract(
  "s3 (s3rver, presigned GET)",
  async () => {
    const s3 = await startS3rver();
    const store = new S3BlobStore(s3.config);
    return {
      store,
      upload: uploadViaTarget,
      cleanup: async () => {
        store.close();
        await s3.stop();
      },
    };
  },
  capabilities,
);

defineBlobStoreContract(
  "s3 (s3rver, public base URL)",
  async () => {
    const s3 = await startS3rver();
    // s3rver serves unsigned GETs, so the bucket's own URL stands in for a CDN in front of it.
    const store = new S3BlobStore({ ...s3.config, publicUrl: `${s3.endpoint}/${s3.bucket}` });
    return {
      store,
      upload: uploadViaTarget,
      cleanup: async () => {
        store.close();
        await s3.stop();
      },
    };
  },
  capabilities,
);
