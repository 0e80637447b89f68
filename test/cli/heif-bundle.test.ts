/**
 * The upload helper in a browser bundle: Vite builds client/upload.ts for browsers (lib mode, into a temp dir), and
 * the HEIC decoder (heic-convert/browser with libheif in wasm, ~2 MB) must land in a lazy chunk, loaded through a
 * dynamic import only when a HEIC file is uploaded, never in the entry. Nothing Node-only may be bundled.
 */
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** A name only libheif's code has. */
const LIBHEIF_MARKER = "heif_context_alloc";

describe("client/upload.ts in a browser bundle (Vite)", () => {
  let outDir: string;
  let chunks: Map<string, string>;

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), "ih-bundle-"));
    await build({
      configFile: false,
      root,
      logLevel: "silent",
      build: {
        outDir,
        emptyOutDir: true,
        target: "es2022",
        minify: false,
        lib: { entry: path.join(root, "client/upload.ts"), formats: ["es"], fileName: "upload" },
      },
    });
    chunks = new Map();
    for (const name of await readdir(outDir))
      if (name.endsWith(".js")) chunks.set(name, await readFile(path.join(outDir, name), "utf8"));
  }, 120_000);
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("puts the decoder in a separate chunk that the entry only imports dynamically", () => {
    const entry = chunks.get("upload.js")!;
    expect(entry).toBeDefined();
    expect(entry).not.toContain(LIBHEIF_MARKER);
    expect(entry, "the entry imports nothing statically").not.toMatch(/^import\s/m);

    const decoder = [...chunks].filter(([, code]) => code.includes(LIBHEIF_MARKER));
    expect(decoder).toHaveLength(1);
    const [decoderName] = decoder[0]!;
    expect(decoderName).not.toBe("upload.js");

    // Entry → import("./heif-….js") → import("./<decoder>"): each step a dynamic import.
    const lazy = [...entry.matchAll(/import\("\.\/([^"]+)"\)/g)].map((m) => m[1]!);
    expect(lazy).toHaveLength(1);
    const conversion = chunks.get(lazy[0]!)!;
    expect(conversion).toContain(`import("./${decoderName}")`);
    expect(conversion).not.toMatch(new RegExp(`^import .*${decoderName.replace(/\./g, "\\.")}`, "m"));
    // The browser entry of heic-convert (canvas), not the Node one.
    expect(chunks.get(decoderName)).toContain("toBlob");
  });

  it("bundles nothing Node-only (pngjs, zlib, Buffer-returning jpeg-js)", () => {
    for (const [name, code] of chunks) {
      expect(code, name).not.toContain("__vite-browser-external");
      expect(code, name).not.toMatch(/require\(["'](zlib|stream|fs|path|buffer)["']\)/);
      expect(code, name).not.toContain("jpeg-js");
      expect(code, name).not.toContain("pngjs");
    }
  });
});
