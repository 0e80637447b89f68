/**
 * HEIC/HEIF → JPEG before upload. client/upload.ts imports this module dynamically, and only when a file's bytes
 * say HEIF (`isHeif`), so a bundler puts it and the ~2 MB libheif decoder in lazy chunks a page loads only then.
 *
 * heic-convert decodes with libheif compiled to wasm (heic-decode), which applies the file's rotation and mirroring
 * (`irot`, `imir`; test/cli/heif.test.ts checks irot) as it decodes; the JPEG it writes has no EXIF, so nothing
 * rotates it a second time (and a photo's location and camera data are not uploaded). Which entry:
 * - browsers: `heic-convert/browser`, which encodes with a canvas. The main entry cannot run there: it loads pngjs
 *   (Node's zlib and stream, even for JPEG), and jpeg-js returns a Node Buffer when bundled as CommonJS.
 * - Node: the main entry, which encodes with jpeg-js. Its specifier is kept from bundlers (a variable, with
 *   @vite-ignore) so that a browser build never pulls in that Node-only code.
 */
import type convertInBrowser from "heic-convert/browser";

type Convert = typeof convertInBrowser;

/** JPEG quality (0-1) of converted photos. */
export const JPEG_QUALITY = 0.9;

/** The file is not a HEIF image libheif can decode (damaged, truncated, or a kind it does not support). */
export class HeifDecodeError extends Error {
  override readonly name = "HeifDecodeError";
}

/**
 * The first image of a HEIC/HEIF file as JPEG, rotated and mirrored as the file says. `bytes` is not modified.
 * Rejects with HeifDecodeError, whose message is libheif's reason, when the file cannot be decoded.
 */
export async function heifToJpeg(bytes: Uint8Array, quality = JPEG_QUALITY): Promise<Uint8Array<ArrayBuffer>> {
  const convert = await loadDecoder();
  return serially(() =>
    capturingLibheifLog(async (logged) => {
      let jpeg: Uint8Array;
      try {
        jpeg = await convert({ buffer: withKnownMajorBrand(bytes), format: "JPEG", quality });
      } catch (error) {
        throw new HeifDecodeError(libheifReason(logged, error), { cause: error });
      }
      // A plain copy: the Node entry returns a Buffer, often a view into Node's shared pool.
      return new Uint8Array(jpeg);
    }),
  );
}

let loading: Promise<Convert> | undefined;

/** Loads heic-convert (in a browser: fetches its chunk) once; `heifToJpeg` calls it too. */
export function loadDecoder(): Promise<Convert> {
  loading ??= (async () => {
    const runtime = (globalThis as { process?: { versions?: { node?: string } } }).process;
    if (typeof runtime?.versions?.node === "string") {
      const nodeEntry = "heic-convert";
      return ((await import(/* @vite-ignore */ nodeEntry)) as { default: Convert }).default;
    }
    return (await import("heic-convert/browser")).default;
  })();
  // A failed load (a network hiccup fetching the chunk) may be retried by the next file.
  loading.catch(() => (loading = undefined));
  return loading;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * One conversion at a time. Decoding is synchronous wasm on this thread, so running several at once gains nothing,
 * costs a full-size RGBA buffer each, and would make `capturingLibheifLog` swap `console.log` concurrently.
 */
function serially<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

/** What libheif-js prints (with console.log, so on stdout) when it cannot read a file, instead of throwing. */
const LIBHEIF_MESSAGES = [
  "Could not create HEIF context",
  "Could not parse HEIF file",
  "Error loading image ids",
  "No images found",
  "Could not get image data for id",
  "Decoding image failed",
];

/**
 * Runs `task` with libheif's console.log messages kept out of the output (the CLI's links go to stdout) and handed
 * to the task instead, since they are the only place libheif says why a file failed. Anything else logged
 * meanwhile passes through.
 */
async function capturingLibheifLog<T>(task: (logged: unknown[][]) => Promise<T>): Promise<T> {
  const logged: unknown[][] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    if (typeof args[0] === "string" && LIBHEIF_MESSAGES.includes(args[0])) logged.push(args);
    else original.apply(console, args);
  };
  try {
    return await task(logged);
  } finally {
    console.log = original;
  }
}

/** heic-decode refuses any major brand but these, though libheif reads files by their compatible brands. */
const MAJOR_BRANDS_HEIC_DECODE_TAKES = ["heic", "heix", "hevc", "hevx", "mif1", "msf1"];

/** The bytes, or a copy whose major brand says `mif1` when heic-decode would refuse the real one (`heim`, `heis`…). */
function withKnownMajorBrand(bytes: Uint8Array): Uint8Array {
  const major = String.fromCharCode(...bytes.subarray(8, 12));
  if (MAJOR_BRANDS_HEIC_DECODE_TAKES.includes(major)) return bytes;
  const copy = new Uint8Array(bytes);
  copy.set([0x6d, 0x69, 0x66, 0x31], 8); // "mif1"
  return copy;
}

/** One line: libheif's own reason when it gave one ("Invalid input: Insufficient input data"), else the error's. */
function libheifReason(logged: unknown[][], error: unknown): string {
  for (const [what, ...details] of logged) {
    for (const detail of details) {
      const text = typeof detail === "string" ? detail : (detail as { message?: unknown } | null)?.message;
      if (typeof text === "string" && text.trim() !== "") return tidy(text);
    }
    if (typeof what === "string") return what;
  }
  return tidy(error instanceof Error ? error.message : String(error));
}

function tidy(text: string): string {
  return text
    .replace(/\bUnspecified: /g, "")
    .replace(/\s+/g, " ")
    .trim();
}
