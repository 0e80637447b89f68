import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import Fastify from "fastify";
import { registerLocalBlobRoutes } from "../../server/http/local-blob.routes.js";
import { LocalBlobStore } from "../../server/storage/local-blob-store.js";
import { defineBlobStoreContract, uploadViaTarget } from "./blob-store.js";

defineBlobStoreContract(
  "local",
  async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "imagehost-local-contract-"));
    // The store must know its public URL before the routes exist, so the socket is bound first.
    const server = http.createServer();
    const cleanup = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(root, { recursive: true, force: true });
    };
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const store = new LocalBlobStore({
        root: path.join(root, "blobs"),
        publicUrl: `http://127.0.0.1:${port}`,
        signingSecret: randomBytes(32),
      });
      const app = Fastify({
        logger: false,
        serverFactory: (handler) => server.on("request", handler),
      });
      registerLocalBlobRoutes(app, store, { servedPrefix: "img/" });
      await app.ready();
      return {
        store,
        upload: uploadViaTarget,
        cleanup: async () => {
          await app.close();
          await cleanup();
        },
      };
    } catch (error) {
      await cleanup();
      throw error;
    }
  },
  {
    enforcesUploadLimits: true,
    limitsUndeclaredSizePut: true,
    honoursCopySourceIfMatch: true,
    verifiesChecksumHeaders: false,
  },
);
