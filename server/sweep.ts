import { parseArgs } from "node:util";
import { createServices } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";

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

main().catch((error: unknown) => {
  console.error(
    `imagehost sweep: ${error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
