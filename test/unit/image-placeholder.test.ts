import sharp from "sharp";
import { rgbaToThumbHash, thumbHashToRGBA } from "thumbhash";
import { describe, expect, it } from "vitest";
import { renderImage } from "../../server/services/image-processor.js";

/** The largest input ThumbHash takes; the worker encodes a smaller rendition (PLACEHOLDER_MAX_SIDE). */
const THUMBHASH_MAX_SIDE = 100;
/** Mean difference per channel value (of 255) between the two decoded placeholders that still looks the same. */
const TOLERANCE = 6;

/** Soft shapes on a gradient with fine grain, as a phone photo looks to a placeholder. */
function photoLike(width: number, height: number): Promise<Buffer> {
  const scene = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x2="0" y2="1"><stop offset="0" stop-color="#4a7fc1"/>
      <stop offset="1" stop-color="#e8c9a0"/></linearGradient>
      <filter id="soft"><feGaussianBlur stdDeviation="${width / 40}"/></filter></defs>
    <rect width="100%" height="100%" fill="url(#sky)"/>
    <g filter="url(#soft)"><circle cx="30%" cy="35%" r="${height / 5}" fill="#f4d35e"/>
      <ellipse cx="65%" cy="85%" rx="${width / 2}" ry="${height / 4}" fill="#2d6a4f"/></g></svg>`;
  const grain = { type: "gaussian", mean: 0, sigma: 12 } as const;
  return sharp(Buffer.from(scene))
    .composite([{ input: { create: { width, height, channels: 3, background: "#000", noise: grain } }, blend: "add" }])
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** Hard edges and flat colours, where scaling differs most. */
function graphic(width: number, height: number): Promise<Buffer> {
  const shapes = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#fff"/><rect width="50%" height="100%" fill="#c1121f"/>
    <circle cx="75%" cy="50%" r="${height / 3}" fill="#003049"/></svg>`;
  return sharp(Buffer.from(shapes)).png().toBuffer();
}

/** The ThumbHash of the largest rendition ThumbHash accepts, made directly: what the placeholder must look like. */
async function referenceHash(input: Buffer): Promise<Uint8Array> {
  const { data, info } = await sharp(input)
    .autoOrient()
    .resize(THUMBHASH_MAX_SIDE, THUMBHASH_MAX_SIDE, { fit: "inside" })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return rgbaToThumbHash(info.width, info.height, data);
}

function meanDifference(a: Uint8Array, b: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs(a[i]! - b[i]!);
  return total / a.length;
}

/**
 * Issue 16: the worker computes the ThumbHash from a small rendition (the encoder runs on the main thread); the
 * placeholder a browser paints from it must look like the one from the largest input ThumbHash takes.
 */
describe("the placeholder (ThumbHash) of a processed image", () => {
  it.each([
    ["a photo, landscape", () => photoLike(2000, 1500)],
    ["a photo, portrait", () => photoLike(1200, 1800)],
    ["a flat-colour graphic", () => graphic(1600, 900)],
  ])("paints like the ThumbHash of a 100-pixel rendition: %s", async (_name, make) => {
    const input = await make();
    const type = input[0] === 0xff ? "image/jpeg" : "image/png";
    const rendered = await renderImage(input, type, { maxPixels: 50_000_000 });

    const painted = thumbHashToRGBA(Buffer.from(rendered.placeholder, "base64"));
    const reference = thumbHashToRGBA(await referenceHash(input));
    // Same aspect and size of what a browser paints, and the same colours within the tolerance.
    expect([painted.w, painted.h]).toEqual([reference.w, reference.h]);
    expect(meanDifference(painted.rgba, reference.rgba)).toBeLessThanOrEqual(TOLERANCE);
  });

  it("is not the placeholder of another image (the comparison above can tell images apart)", async () => {
    const [photo, shapes] = await Promise.all([photoLike(1600, 900), graphic(1600, 900)]);
    const rendered = await renderImage(photo, "image/jpeg", { maxPixels: 50_000_000 });
    const painted = thumbHashToRGBA(Buffer.from(rendered.placeholder, "base64"));
    const other = thumbHashToRGBA(await referenceHash(shapes));
    expect(meanDifference(painted.rgba, other.rgba)).toBeGreaterThan(TOLERANCE * 3);
  });
});
