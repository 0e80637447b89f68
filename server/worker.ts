import { createServices } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";

/**
 * `npm run worker`: image-pipeline workers only, no HTTP, for scaling processing out separately from the API
 * (whose nodes may then run with WORKERS=0). Runs WORKERS workers (at least one), each taking WORKER_CONCURRENCY
 * jobs at once, and stops gracefully on SIGTERM/SIGINT: running jobs finish (bounded), the rest stay queued.
 */
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
  const services = await createServices(config);
  const count = Math.max(1, config.pipeline.workers);
  for (let i = 0; i < count; i++) await services.startWorker();
  console.error(
    `imagehost worker: ${count} worker(s), ${config.pipeline.concurrency} job(s) at once each, queue ${config.pipeline.queueName}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`imagehost worker: ${signal} received, finishing running jobs`);
    await services.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error("imagehost worker: failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
