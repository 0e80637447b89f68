import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { ensureRedis, type ManagedRedis, RedisNotAvailableError } from "./redis/managed-redis.js";

/** `npm start`: validate config, make sure Redis is there, serve, and shut down gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  let managedRedis: ManagedRedis | null = null;
  if (config.redis.mode === "single") {
    try {
      managedRedis = await ensureRedis(config.redis.url, config.dataDir);
    } catch (error) {
      if (error instanceof RedisNotAvailableError) {
        console.error(`imagehost: ${error.message}`);
        process.exit(1);
      }
      throw error;
    }
    if (managedRedis)
      console.error(
        `imagehost: started a private redis-server (pid ${managedRedis.pid}) with data in ${config.dataDir}/redis`,
      );
  }
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
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error("imagehost: failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
