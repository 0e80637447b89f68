import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { ExitCode, runCommand } from "./exit-codes.js";
import { ensureRedis, type ManagedRedis } from "./redis/managed-redis.js";

/** `npm start`: validate config, make sure Redis is there, serve, and shut down gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);

  let managedRedis: ManagedRedis | null = null;
  if (config.redis.mode === "single") {
    managedRedis = await ensureRedis(config.redis.url, config.dataDir);
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
    process.exit(ExitCode.OK);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

runCommand("imagehost", main);
