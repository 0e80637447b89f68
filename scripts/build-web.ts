/**
 * Builds the web app (web/ → web/dist) with Vite, unless the last build is newer than every input: web/ sources,
 * the client it imports (client/, including the generated hooks) and the installed packages (package-lock.json).
 * `npm start` runs it first (the `prestart` script), so a fresh clone serves the app with no manual step and a
 * restart with nothing changed costs one directory walk.
 *
 *   tsx scripts/build-web.ts            build when out of date
 *   tsx scripts/build-web.ts --force    build anyway
 *
 * The new build is written next to web/dist and swapped in with renames, so a running server never sees a
 * half-written directory. Every file gets a brotli (`.br`) and a gzip (`.gz`) copy beside it, made once here so the
 * server picks one by Accept-Encoding without compressing per request (server/http/web-app.routes.ts).
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const webDir = path.join(root, "web");
const distDir = path.join(webDir, "dist");
/** Written last, so its time says when the current web/dist was complete. */
const stampFile = path.join(distDir, ".build-stamp");
const inputs = [
  webDir,
  path.join(root, "client"),
  path.join(root, "package-lock.json"),
  path.join(root, "package.json"),
];
/** Never inputs: build output, and dependencies (package-lock.json stands for them). */
const skipped = new Set(["dist", "node_modules"]);

export interface BuildWebOptions {
  force?: boolean;
  /** Progress lines; default: stderr. */
  log?: (line: string) => void;
}

/** Builds web/dist when it is missing or older than its inputs. Resolves to what it did. */
export async function buildWebApp(options: BuildWebOptions = {}): Promise<"built" | "up-to-date"> {
  const log = options.log ?? ((line: string) => console.error(line));
  const built = await mtimeOf(stampFile);
  if (!options.force && built !== null) {
    const newest = Math.max(...(await Promise.all(inputs.map(newestMtime))));
    if (newest <= built) return "up-to-date";
  }

  log("imagehost: building the web app (web/ → web/dist)…");
  const started = Date.now();
  const staging = path.join(webDir, `.dist-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const { build } = await import("vite");
    await build({
      configFile: path.join(webDir, "vite.config.ts"),
      logLevel: "warn",
      build: { outDir: staging, emptyOutDir: true },
    });
    await precompress(staging);
    await writeFile(path.join(staging, ".build-stamp"), `${new Date().toISOString()}\n`);
    await swapInto(staging, distDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log(`imagehost: web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return "built";
}

/** Formats that are compressed already: a second compression only costs time. */
const incompressible = /\.(png|jpe?g|gif|webp|avif|woff2?|br|gz|zip)$/i;

/**
 * Writes `<file>.br` and `<file>.gz` beside each file of the build; dotfiles are skipped. Brotli at quality 9, not
 * 11: on this build 11 saves another 9 % but takes 15 times as long (35 s of CPU instead of 2.4), on every build.
 */
async function precompress(dir: string): Promise<void> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && !entry.name.startsWith(".") && !incompressible.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
  const brotli = promisify(brotliCompress);
  const gzipped = promisify(gzip);
  await Promise.all(
    files.map(async (file) => {
      const bytes = await readFile(file);
      const [br, gz] = await Promise.all([
        brotli(bytes, {
          params: {
            [zlibConstants.BROTLI_PARAM_QUALITY]: 9,
            [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
          },
        }),
        gzipped(bytes, { level: zlibConstants.Z_BEST_COMPRESSION }),
      ]);
      await Promise.all([writeFile(`${file}.br`, br), writeFile(`${file}.gz`, gz)]);
    }),
  );
}

/** Replaces `target` with `staging` by two renames; the old build is removed afterwards. */
async function swapInto(staging: string, target: string): Promise<void> {
  const retired = `${target}-old-${process.pid}-${randomBytes(4).toString("hex")}`;
  const hadTarget = (await mtimeOf(target)) !== null;
  if (hadTarget) await rename(target, retired);
  try {
    await rename(staging, target);
  } catch (error) {
    // Another build finished first and put its own web/dist in place: keep that one.
    if ((error as NodeJS.ErrnoException).code !== "ENOTEMPTY" && (error as NodeJS.ErrnoException).code !== "EEXIST")
      throw error;
  } finally {
    if (hadTarget) await rm(retired, { recursive: true, force: true });
  }
}

async function mtimeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return null;
  }
}

/** The newest modification time of a file, or of the files under a directory (build output and dotfiles skipped). */
async function newestMtime(file: string): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  // Files only: a directory's own time changes whenever a build stages its output in web/.
  let newest = 0;
  for (const entry of await readdir(file, { withFileTypes: true })) {
    if (skipped.has(entry.name) || entry.name.startsWith(".")) continue;
    newest = Math.max(newest, await newestMtime(path.join(file, entry.name)));
  }
  return newest;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  buildWebApp({ force: process.argv.includes("--force") }).catch((error: unknown) => {
    console.error("imagehost: building the web app failed:", error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
