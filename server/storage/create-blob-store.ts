import type { Config } from "../config.js";
import { LocalBlobStore } from "./local-blob-store.js";
import { S3BlobStore } from "./s3-blob-store.js";
import { RelayTokens } from "./upload-relay-token.js";

/**
 * The blob store the config asks for. `publicUrl` (the server's base URL) and `signingSecret` sign the URLs that
 * point back at this server: every local upload and download, and S3 uploads of undeclared size (the relay). The concrete type is returned so the
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
      // PUTs of undeclared size go through this server, which enforces the limit (see upload-relay.routes.ts).
      return new S3BlobStore(storage, {}, { publicUrl: opts.publicUrl, tokens: new RelayTokens(opts.signingSecret) });
  }
}
