/**
 * `npm run build`'s server half: bundles each server command into dist/server/ with esbuild, so production runs
 * plain `node dist/server/main.js` (no tsx, no TypeScript compile at start, a smaller heap than tsx's loader).
 * Packages stay external: node_modules is installed beside the bundle, native addons (bcrypt, sharp) load as usual.
 *
 *   tsx scripts/build-server.ts [--outdir DIR]
 *
 * dist/server/ sits two levels below the checkout like server/http/ does, so paths the server resolves from its
 * own location (the built web app at ../../web/dist) hold in both.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Every command the server ships; each becomes dist/server/<name>.js. */
export const SERVER_COMMANDS = ["main", "sweep", "worker", "backfill"] as const;

export async function buildServer(outdir = path.join(root, "dist/server")): Promise<void> {
  await bundle(
    SERVER_COMMANDS.map((name) => path.join(root, "server", `${name}.ts`)),
    outdir,
  );
}

/** Bundles TypeScript entry points (repo-relative imports inlined, packages left to node_modules) into outdir. */
export async function bundle(entryPoints: string[], outdir: string): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    // Modules imported dynamically (the S3 adapter and its AWS SDK) become chunks of their own, loaded when used.
    splitting: true,
    // Beside the entry points: modules that resolve paths from their own location (web-app.routes.ts) keep working.
    chunkNames: "[name]-[hash]",
    target: "node20.19",
    sourcemap: true,
    // TypeGraphQL's decorators (every field names its type explicitly, so no emitted metadata is needed).
    tsconfig: path.join(root, "tsconfig.json"),
    logLevel: "warning",
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { outdir: { type: "string" } } });
  await buildServer(values.outdir ? path.resolve(values.outdir) : undefined);
  console.error(`build: server commands (${SERVER_COMMANDS.join(", ")}) bundled`);
}
