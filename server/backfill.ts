import { parseArgs } from "node:util";
import { createServices } from "./app.js";
import { loadConfig } from "./config.js";
import { runCommand } from "./exit-codes.js";

/**
 * `npm run backfill [-- --dry-run] [-- --retry-failed]`: queues a processing job for every image recorded before
 * the pipeline existed (and, with --retry-failed, every FAILED one). The workers (`npm start` or `npm run worker`)
 * do the processing; until then the images are served as uploaded. Safe to run again, and to interrupt: each run
 * queues only what is still unprocessed. Progress on stderr, the report as JSON on stdout.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "dry-run": { type: "boolean", default: false },
      "retry-failed": { type: "boolean", default: false },
    },
  });
  const config = loadConfig(process.env);
  const services = await createServices(config);
  // A line per tenth of the way (and the last): enough to watch a long run without flooding a log.
  let lastShown = -1;
  try {
    const report = await services.backfill.run({
      dryRun: values["dry-run"] ?? false,
      retryFailed: values["retry-failed"] ?? false,
      onScan: (scanned) => process.stderr.write(`imagehost backfill: scanned ${scanned}\n`),
      onProgress: ({ queued, total }) => {
        const tenth = total === 0 ? 10 : Math.floor((queued * 10) / total);
        if (tenth === lastShown && queued !== total) return;
        lastShown = tenth;
        process.stderr.write(`imagehost backfill: queued ${queued}/${total}\n`);
      },
    });
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  } finally {
    await services.close();
  }
}

runCommand("imagehost backfill", main);
