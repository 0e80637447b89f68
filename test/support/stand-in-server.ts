import http from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInServer {
  /** `http://127.0.0.1:<port>`, for a store's endpoint. */
  readonly endpoint: string;
  /** Stops it, closing the sockets clients keep alive rather than waiting for them to idle out. */
  close(): Promise<void>;
}

/** An HTTP server on a free loopback port, answering with `handler`: a stand-in for a store, or a proxy before one. */
export async function standInServer(handler: http.RequestListener): Promise<StandInServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
