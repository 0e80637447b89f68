import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { renderImage } from "../../server/services/image-processor.js";

/** libuv's worker threads in this process (4 unless UV_THREADPOOL_SIZE says otherwise). */
const POOL_THREADS = Number(process.env.UV_THREADPOOL_SIZE) || 4;

/** A photo-like JPEG (noise compresses and decodes like detail), big enough that renders overlap. */
function noisyJpeg(width: number, height: number): Promise<Buffer> {
  const noise = { type: "gaussian", mean: 128, sigma: 40 } as const;
  return sharp({ create: { width, height, channels: 3, background: "#808080", noise } })
    .jpeg()
    .toBuffer();
}

/**
 * Issue 14/16: sharp runs on libuv's worker threads, which the file system also needs; renders must leave half of
 * them free, or a server's uploads and local files wait for whole renders.
 */
describe("image rendering and libuv's worker threads", () => {
  it("never has more sharp operations running than half the threads, however many images render at once", async () => {
    const photo = await noisyJpeg(2400, 1800);
    let peak = 0;
    let rendering = true;
    const watch = (async () => {
      while (rendering) {
        // Operations handed to sharp and not finished yet, whether on a thread or waiting for one.
        peak = Math.max(peak, sharp.counters().process);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const renders = await Promise.all(
      Array.from({ length: 6 }, () => renderImage(photo, "image/jpeg", { maxPixels: 50_000_000 })),
    ).finally(() => {
      rendering = false;
    });
    await watch;
    expect(renders.map((r) => r.publicImage.width)).toEqual(Array(6).fill(2400));
    // Six renders of two decodes each would otherwise hand sharp six operations or more at once.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(Math.floor(POOL_THREADS / 2));
  });
});
