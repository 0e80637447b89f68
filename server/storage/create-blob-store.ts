import type { Config } from "../config.js";
import type { BlobStore } from "../ports/blob-store.js";
import { LocalBlobStore } from "./local-blob-store.js";
import type { S3BlobStore } from "./s3-blob-store.js";
import { RelayTokens } from "./upload-relay-token.js";

/** The configured blob store, and what the HTTP edge must serve for the URLs it hands out. */
export interface ConfiguredBlobStore {
  readonly store: BlobStore;
  /** With the local driver: the store behind `/uploads/<token>` and `/files/<key>`; null otherwise. */
  readonly local: LocalBlobStore | null;
  /** With S3: the store and token checker behind the upload relay (`/uploads/s3/<token>`); null otherwise. */
  readonly relay: { readonly store: S3BlobStore; readonly tokens: RelayTokens } | null;
  /** Releases the store's connections (S3 sockets); call on shutdown. */
  close(): void;
}

/**
 * The blob store the config asks for. `publicUrl` (the server's base URL) and `signingSecret` sign the URLs that
 * point back at this server: every local upload and download, and S3 uploads of undeclared size (the relay). The
 * routes those URLs need are named explicitly, so the composition root never tests adapter types.
 *
 * The S3 adapter is imported only when asked for: the AWS SDK is about 12 MB of memory that a local-driver server
 * never uses (issue 16; the build splits it into its own chunk).
 */
export async function createBlobStore(
  storage: Config["storage"],
  opts: { publicUrl: string; signingSecret: Buffer },
): Promise<ConfiguredBlobStore> {
  switch (storage.driver) {
    case "local": {
      const local = new LocalBlobStore({
        root: storage.root,
        publicUrl: opts.publicUrl,
        signingSecret: opts.signingSecret,
      });
      return { store: local, local, relay: null, close: () => {} };
    }
    case "s3": {
      // PUTs of undeclared size go through this server, which enforces the limit (see upload-relay.routes.ts).
      const tokens = new RelayTokens(opts.signingSecret);
      const { S3BlobStore } = await import("./s3-blob-store.js");
      const s3 = new S3BlobStore(storage, {}, { publicUrl: opts.publicUrl, tokens });
      return { store: s3, local: null, relay: { store: s3, tokens }, close: () => s3.close() };
    }
  }
}
