import sharp from "sharp";
import { expect } from "vitest";

export type ImageKind = "jpeg" | "png" | "gif" | "webp" | "avif";
export const IMAGE_KINDS: ImageKind[] = ["jpeg", "png", "gif", "webp", "avif"];
export const MIME: Record<ImageKind, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
};

/** A real, decodable image of the given size, made fresh (random colour, so every call gives new bytes). */
export async function makeImage(kind: ImageKind, width = 7, height = 5): Promise<Buffer> {
  const colour = {
    r: Math.floor(Math.random() * 256),
    g: Math.floor(Math.random() * 256),
    b: Math.floor(Math.random() * 256),
  };
  const blank = sharp({ create: { width, height, channels: 3, background: colour } });
  return blank[kind]().toBuffer();
}

/** A PNG whose header claims `width`×`height` (a decompression bomb's calling card); no pixel data follows. */
export function pngHeaderClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // truecolour
  const chunk = Buffer.concat([Buffer.from([0, 0, 0, 13]), Buffer.from("IHDR"), ihdr, Buffer.alloc(4)]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk, Buffer.alloc(64)]);
}

export const SVG = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`,
);
export const HTML = Buffer.from(`<!doctype html><html><body><script>alert(document.cookie)</script></body></html>`);

/**
 * What the pipeline serves is the upload re-encoded (upright, metadata removed), not its bytes: the same format,
 * size and picture, within re-encoding noise (mean difference per channel, 0–255).
 */
export async function expectSamePicture(served: Buffer, uploaded: Buffer, tolerance = 6): Promise<void> {
  const [a, b] = await Promise.all([served, uploaded].map((bytes) => sharp(bytes).metadata()));
  expect([a!.format, a!.width, a!.height]).toEqual([b!.format, b!.width, b!.height]);
  const pixels = (bytes: Buffer) => sharp(bytes).removeAlpha().toColourspace("srgb").raw().toBuffer();
  const [pa, pb] = await Promise.all([pixels(served), pixels(uploaded)]);
  expect(pa!.length).toBe(pb!.length);
  let total = 0;
  for (let i = 0; i < pa!.length; i++) total += Math.abs(pa![i]! - pb![i]!);
  expect(total / pa!.length).toBeLessThanOrEqual(tolerance);
}
