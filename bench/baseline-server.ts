import http from "node:http";
import { Redis } from "ioredis";
import { redisKeys } from "../server/redis/keys.js";

/**
 * The floor the public redirect is measured against: bare `node:http`, one ioredis HGET of the image's storage
 * key, a 302. No framework, no validation, no hooks, no headers beyond Location. Run by bench/run.ts as a child
 * process, like the server, with PORT, REDIS_URL and PUBLIC_URL.
 */
const port = Number(process.env.PORT);
const publicUrl = process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`;
const redis = new Redis(process.env.REDIS_URL ?? "", { lazyConnect: true });
await redis.connect();

const server = http.createServer((request, response) => {
  const url = request.url ?? "";
  if (url === "/health") {
    response.writeHead(200).end("ok");
    return;
  }
  if (!url.startsWith("/image/")) {
    response.writeHead(404).end();
    return;
  }
  redis.hget(redisKeys.image(url.slice("/image/".length)), "key").then(
    (key) => {
      if (key === null) response.writeHead(404).end();
      else response.writeHead(302, { location: `${publicUrl}/files/${key}` }).end();
    },
    () => response.writeHead(503).end(),
  );
});
server.listen(port, "127.0.0.1");

const stop = () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
