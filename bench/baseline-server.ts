import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Redis } from "ioredis";
import { redisKeys } from "../server/redis/keys.js";

/**
 * The floor the public redirect is measured against: bare `node:http`, one ioredis HGET of the image's storage
 * key, a 302. No framework, no validation, no hooks, no headers beyond Location. Run by bench/run.ts as a child
 * process, like the server, with PORT, REDIS_URL and PUBLIC_URL.
 *
 * Also the floor for a durable HTTP upload: `PUT /upload/<name>` streams the body to a temp file in UPLOAD_DIR,
 * fsyncs it and renames it into place, then answers 201.
 */
const port = Number(process.env.PORT);
const publicUrl = process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`;
const redis = new Redis(process.env.REDIS_URL ?? "", { lazyConnect: true });
await redis.connect();

const uploadDir = process.env.UPLOAD_DIR ?? "";

async function durableWrite(request: http.IncomingMessage, name: string): Promise<void> {
  const temp = path.join(uploadDir, `.${randomBytes(8).toString("hex")}.tmp`);
  const handle = await fs.open(temp, "wx", 0o600);
  try {
    await pipeline(request, createWriteStream("", { fd: handle.fd, autoClose: false }));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, path.join(uploadDir, path.basename(name)));
}

const server = http.createServer((request, response) => {
  const url = request.url ?? "";
  if (request.method === "PUT" && url.startsWith("/upload/") && uploadDir) {
    durableWrite(request, url.slice("/upload/".length)).then(
      () => response.writeHead(201).end(),
      () => response.writeHead(500).end(),
    );
    return;
  }
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
