import type { Config } from "../config.js";
import { LocalBlobStore } from "./local-blob-store.js";
import { S3BlobStore } from "./s3-blob-store.js";

/**
 * The blob store the config asks for. `publicUrl` (the server's base URL) and `signingSecret` only matter for the
 * local driver, whose upload and download URLs point back at this server. The concrete type is returned so the
 * composition root can tell whether to register the local upload/serving routes (`instanceof LocalBlobStore`).
 */
export function createBlobStore(
  storage: Config["storage"],
  opts: { publicUrl: string; signingSecret: Buffer },
): LocalBlobStore | S3BlobStore {
  switch (storage.driver) {
    case "local":
      return new LocalBlobStore({ root: storage.root, publicUrl: opts.publicUrl, signingSecret: opts.signingSecret });
    case "s3":
      return new S3BlobStore(storage);
  }
}
