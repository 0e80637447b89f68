import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql } from "../support/graphql.js";
import {
  exifTags,
  leakedMetadata,
  frameCount,
  leakyJpeg,
  leakyPng,
  leakyWebp,
  animatedGif,
} from "../support/metadata.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic, uploadImage } from "../support/uploads.js";
import { registerApiKey } from "../support/upload-setups.js";

const IMAGE = `query($id: ID!) { image(id: $id) { url status width height variants { url } } }`;

interface Processed {
  url: string;
  status: string;
  width: number;
  height: number;
  variants: { url: string }[];
}

/**
 * Issue 13: nothing a photo carries besides its pixels and colour profile reaches the public. exiftool reads
 * every byte served — the public image and each thumbnail — for GPS, EXIF, XMP, IPTC, comments and PNG text.
 */
describe("what the pipeline serves", () => {
  let server: TestApp;
  let key: string;

  beforeAll(async () => {
    server = await startTestApp();
    key = await registerApiKey(server.baseUrl, "exif");
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Uploads, waits for READY, and returns the record with every served body (public image first). */
  async function processed(bytes: Buffer, contentType: string): Promise<{ image: Processed; served: Buffer[] }> {
    const uploaded = await uploadImage(server.baseUrl, key, bytes, contentType);
    const first = await fetchPublic(uploaded.url); // waits while PROCESSING
    expect(first.status).toBe(200);
    const { data } = await gql<{ image: Processed }>(server.baseUrl, IMAGE, { id: uploaded.id });
    const image = data!.image;
    expect(image.status).toBe("READY");
    const thumbnails = await Promise.all(image.variants.map((variant) => fetchPublic(variant.url)));
    for (const thumbnail of thumbnails) expect(thumbnail.status).toBe(200);
    return { image, served: [first.bytes, ...thumbnails.map((t) => t.bytes)] };
  }

  const CASES = [
    { name: "a JPEG with GPS, camera serial, XMP, IPTC and a comment", make: () => leakyJpeg(), type: "image/jpeg" },
    { name: "a PNG with an eXIf chunk and text chunks", make: leakyPng, type: "image/png" },
    { name: "a WebP with EXIF and XMP", make: leakyWebp, type: "image/webp" },
  ];

  it.each(CASES)("strips every metadata block from $name, in every served byte", async ({ make, type }) => {
    const upload = await make();
    // The fixture really carries what must go, so the test can fail.
    expect((await leakedMetadata(upload)).length).toBeGreaterThan(3);
    const { served } = await processed(upload, type);
    expect(served.length).toBeGreaterThanOrEqual(2);
    for (const bytes of served) expect(await leakedMetadata(bytes)).toEqual([]);
  });

  it("turns an orientation-6 photo upright: pixels rotated, dimensions swapped, no orientation tag left", async () => {
    const upload = await leakyJpeg(48, 24, 6);
    expect((await exifTags(upload))["IFD0:Orientation"]).toBe(6);
    const { image, served } = await processed(upload, "image/jpeg");
    expect([image.width, image.height]).toEqual([24, 48]);
    for (const bytes of served) {
      const meta = await sharp(bytes).metadata();
      expect(meta.height).toBeGreaterThan(meta.width);
      expect(meta.orientation ?? 1).toBe(1);
    }
  });

  it("keeps the ICC colour profile of the public image", async () => {
    const upload = await leakyJpeg();
    expect((await exifTags(upload))["ICC_Profile:ProfileDescription"]).toBe("sP3C");
    const { served } = await processed(upload, "image/jpeg");
    expect((await exifTags(served[0]!))["ICC_Profile:ProfileDescription"]).toBe("sP3C");
  });

  it("keeps an animated GIF animated", async () => {
    const { served } = await processed(await animatedGif(4), "image/gif");
    expect(await frameCount(served[0]!)).toBe(4);
  });
});
