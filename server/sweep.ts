import { parseArgs } from "node:util";
import { createServices } from "./app.js";
import { loadConfig } from "./config.js";
import { runCommand } from "./exit-codes.js";

/**
 * `npm run sweep [-- --dry-run]`: removes objects that abandoned or rejected uploads left behind, finishes deletes
 * a crash interrupted and relists images a crash left unlisted (SEC-16). Prints the report as JSON on stdout.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "dry-run": { type: "boolean", default: false } } });
  const config = loadConfig(process.env);
  const services = await createServices(config);
  try {
    const report = await services.sweeper.sweep({ dryRun: values["dry-run"] ?? false });
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  } finally {
    await services.close();
  }
}

runCommand("imagehost sweep", main);
