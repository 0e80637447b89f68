import { afterAll } from "vitest";
import type { S3StorageConfig } from "../../server/config.js";
import type { UploadTargetRequest } from "../../server/ports/blob-store.js";
import { S3BlobStore } from "../../server/storage/s3-blob-store.js";

// Shared by the S3BlobStore unit suites (test/unit/s3-*.test.ts).

/** Presigning needs no server: nothing listens on this endpoint and nothing is sent to it. */
export const offline: S3StorageConfig = {
  driver: "s3",
  bucket: "imagehost-bucket",
  region: "eu-west-1",
  endpoint: "http://127.0.0.1:9",
  forcePathStyle: true,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  publicUrl: null,
};

type MoreStoreArguments = ConstructorParameters<typeof S3BlobStore> extends [unknown, ...infer More] ? More : never;

/** A `makeStore(config = offline, ...)` (S3BlobStore's arguments) whose stores are all closed after the file's tests. */
export function s3StoreFactory(): (config?: S3StorageConfig, ...more: MoreStoreArguments) => S3BlobStore {
  const stores: S3BlobStore[] = [];
  afterAll(() => {
    for (const store of stores) store.close();
  });
  return (config = offline, ...more) => {
    const store = new S3BlobStore(config, ...more);
    stores.push(store);
    return store;
  };
}

export const uploadRequest = (overrides: Partial<UploadTargetRequest> = {}): UploadTargetRequest => ({
  key: "img/AbC_d-123",
  contentType: "image/png",
  maxBytes: 20 * 1024 * 1024,
  exactBytes: null,
  expiresAt: Date.now() + 600_000,
  method: "PUT",
  ...overrides,
});
