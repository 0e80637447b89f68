import path from "node:path";
import { createApp } from "./app.js";
import { type Config, loadConfig } from "./config.js";
import { ExitCode, runCommand } from "./exit-codes.js";
import { tuneHeapGrowth } from "./heap-growth.js";
import { ensureRedis, type ManagedRedis } from "./redis/managed-redis.js";
import { describePersistence, inspectRedisPersistence, redisAddress } from "./redis/redis-persistence.js";

/** `npm start`: validate config, make sure Redis is there, serve, and shut down gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  tuneHeapGrowth();

  let managedRedis: ManagedRedis | null = null;
  if (config.redis.mode === "single") {
    managedRedis = await ensureRedis(config.redis.url, config.dataDir);
    if (managedRedis)
      console.error(
        `imagehost: started a private redis-server (pid ${managedRedis.pid}) with data in ${config.dataDir}/redis`,
      );
  }
  await reportRedis(config, managedRedis);
  // Stop the private Redis even if the app never comes up.
  process.once("exit", () => {
    if (managedRedis) process.kill(managedRedis.pid, "SIGTERM");
  });

  const app = await createApp(config);
  const address = await app.listen();
  console.error(`imagehost: listening on ${address} (public URL ${config.http.publicUrl})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`imagehost: ${signal} received, shutting down`);
    await app.close();
    await managedRedis?.stop();
    managedRedis = null;
    process.exit(ExitCode.OK);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/**
 * Says which Redis holds the data (a shared one on 127.0.0.1:6379 is easy to pick up without noticing), and warns
 * when it keeps nothing on disk: every account and image record would be gone after its next restart.
 */
async function reportRedis(config: Config, managed: ManagedRedis | null): Promise<void> {
  const urls =
    config.redis.mode === "single"
      ? [config.redis.url]
      : config.redis.nodes.map(
          (node) => `redis://${node.host.includes(":") ? `[${node.host}]` : node.host}:${node.port}`,
        );
  for (const url of urls) {
    const address = redisAddress(url);
    const whose = managed
      ? `private, started by imagehost, data in ${path.join(config.dataDir, "redis")}`
      : "not started by imagehost: other programs may use it too";
    const what = config.redis.mode === "cluster" ? "Redis Cluster node" : "Redis";
    let persistence;
    try {
      persistence = await inspectRedisPersistence(url);
    } catch {
      // Unreachable right now: connecting for real reports it.
      console.error(`imagehost: using ${what} at ${address} (${whose})`);
      continue;
    }
    const kept = persistence === null ? null : describePersistence(persistence);
    console.error(
      `imagehost: using ${what} at ${address} (${whose}; persistence: ${persistence === null ? "unknown, CONFIG GET not permitted" : (kept ?? "none")})`,
    );
    if (persistence !== null && kept === null)
      console.error(
        `imagehost: warning: the Redis at ${address} keeps nothing on disk (appendonly no, no save points): every ` +
          "account and image record is lost when it restarts. Turn on AOF there (appendonly yes), or set REDIS_URL " +
          "to a Redis that persists; with nothing at REDIS_URL, npm start runs a private one with AOF on.",
      );
    else if (persistence === null)
      console.error(
        `imagehost: could not check whether the Redis at ${address} keeps its data on disk: make sure it does.`,
      );
  }
}

runCommand("imagehost", main);
