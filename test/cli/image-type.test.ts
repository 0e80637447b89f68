import { describe, expect, it } from "vitest";
import { sniffImageType } from "../../client/image-type.js";
import { HTML, IMAGE_KINDS, MIME, SVG, makeImage, pngHeaderClaiming } from "../support/images.js";

describe("sniffImageType (the client's check before sending)", () => {
  it.each(IMAGE_KINDS)("recognises a real %s", async (kind) => {
    expect(sniffImageType(new Uint8Array(await makeImage(kind)))).toBe(MIME[kind]);
  });

  it("recognises a PNG from its header alone", () => {
    expect(sniffImageType(pngHeaderClaiming(1, 1).subarray(0, 8))).toBe("image/png");
  });

  it.each([
    ["SVG", SVG],
    ["HTML", HTML],
    ["text", Buffer.from("just some text")],
    ["nothing", Buffer.alloc(0)],
    ["a truncated PNG signature", Buffer.from([0x89, 0x50, 0x4e, 0x47])],
    [
      "HEIC (ftyp heic)",
      Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypheic"), Buffer.alloc(4), Buffer.from("mif1heic")]),
    ],
    ["RIFF that is not WebP", Buffer.from("RIFF\0\0\0\0WAVEfmt ")],
  ])("refuses %s", (_label, bytes) => {
    expect(sniffImageType(new Uint8Array(bytes))).toBeNull();
  });
});
