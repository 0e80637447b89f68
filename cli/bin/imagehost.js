#!/usr/bin/env node
// The `imagehost` launcher: runs the TypeScript entry (cli/main.ts) through tsx, a runtime dependency, so
// `npx imagehost` works right after `npm ci` with no build step. tsx is scoped to this import (tsImport) and uses
// this package's tsconfig, whatever the working directory.
import process from "node:process";
import { URL, fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("../main.ts", {
  parentURL: import.meta.url,
  tsconfig: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)),
});
process.exitCode = await main(process.argv.slice(2));
