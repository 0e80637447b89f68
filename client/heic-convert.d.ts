// heic-convert 2.1.0 ships no types. Both entries take the whole file and resolve to the encoded image; they reject
// when libheif cannot read it (libheif itself only says why on console.log: see client/heif.ts).
declare module "heic-convert/browser" {
  /** Browser entry: decodes with libheif (wasm), encodes with a canvas (`toBlob`), so it needs `document`. */
  export default function convert(options: {
    buffer: Uint8Array | ArrayBuffer;
    format: "JPEG" | "PNG";
    /** 0-1, JPEG only; default 0.92. */
    quality?: number;
  }): Promise<Uint8Array>;
}
