/**
 * HEIC/HEIF in the upload helper (issue 10): detection by the `ftyp` brands, and conversion to JPEG with
 * heic-convert in Node (the CLI's path), on files made by Debian's heif-enc.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ImageHostError } from "../../client/errors.js";
import { HEIF_TYPE, isHeif, sniffImageType, sniffInputType } from "../../client/image-type.js";
import { type UploadStage, jpegFilename, prepareUpload } from "../../client/upload.js";
import { makeImage } from "../support/images.js";
import { BLUE, RED, corruptHeic, ftyp, halvesPng, heifEnc, makeHeic, withRotation } from "./heif-fixtures.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function jpegOf(blob: Blob) {
  const bytes = Buffer.from(await blob.arrayBuffer());
  const { width, height, format, orientation } = await sharp(bytes).metadata();
  return { bytes, width, height, format, orientation };
}

/** The colour at (x, y), from decoded RGB. */
async function pixel(jpeg: Buffer, x: number, y: number) {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return { r: data[i]!, g: data[i + 1]!, b: data[i + 2]! };
}

/** Close to `expected` (JPEG and HEVC both lose a little). */
function expectColour(actual: { r: number; g: number; b: number }, expected: { r: number; g: number; b: number }) {
  for (const channel of ["r", "g", "b"] as const)
    expect(Math.abs(actual[channel] - expected[channel]), JSON.stringify(actual)).toBeLessThan(48);
}

describe("isHeif (by the ftyp brands, never the name)", () => {
  it.each([
    ["heic (an iPhone photo)", ftyp("heic", ["mif1", "heic", "miaf"])],
    ["heix", ftyp("heix", ["mif1", "heix"])],
    ["hevc (a sequence)", ftyp("hevc", ["msf1", "hevc"])],
    ["hevx", ftyp("hevx", ["msf1", "hevx"])],
    ["heim", ftyp("heim", ["mif1", "heim"])],
    ["heis", ftyp("heis", ["msf1", "heis"])],
    ["mif1 alone (a generic HEIF image)", ftyp("mif1", ["mif1"])],
    ["msf1 alone (a generic HEIF sequence)", ftyp("msf1", [])],
    ["another major brand with heic compatible", ftyp("MiHE", ["MiHE", "heic", "mif1"])],
  ])("takes %s as HEIF, to convert", (_label, head) => {
    expect(isHeif(head)).toBe(true);
    expect(sniffImageType(head)).toBeNull();
    expect(sniffInputType(head)).toBe(HEIF_TYPE);
  });

  it.each([
    ["avif with mif1 compatible (every AVIF has it)", ftyp("avif", ["avif", "mif1", "miaf"])],
    ["mif1 with avif compatible", ftyp("mif1", ["mif1", "avif", "miaf"])],
    ["an AVIF sequence (avis, msf1)", ftyp("avis", ["avis", "msf1", "miaf"])],
  ])("leaves %s to AVIF, sent as is", (_label, head) => {
    expect(isHeif(head)).toBe(false);
    expect(sniffImageType(head)).toBe("image/avif");
    expect(sniffInputType(head)).toBe("image/avif");
  });

  it.each([
    ["an MP4 video", ftyp("isom", ["isom", "iso2", "avc1", "mp41"])],
    ["a QuickTime movie", ftyp("qt  ", ["qt  "])],
    ["a JPEG 2000 (jp2)", ftyp("jp2 ", ["jp2 "])],
    [
      "heic in the minor version, not a brand",
      Buffer.concat([Buffer.from([0, 0, 0, 16]), Buffer.from("ftypisomheic")]),
    ],
    ["a box that is not ftyp", Buffer.concat([Buffer.from([0, 0, 0, 16]), Buffer.from("moovheic"), Buffer.alloc(4)])],
    ["a truncated ftyp", Buffer.from([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x68])],
    ["text", Buffer.from("heic heic heic heic")],
  ])("refuses %s", (_label, head) => {
    expect(isHeif(head)).toBe(false);
    expect(sniffInputType(head)).toBeNull();
  });

  it("recognises real files: heif-enc's HEIC, sharp's AVIF", async () => {
    const heic = await makeHeic(16, 16);
    expect(heic.toString("latin1", 4, 12)).toBe("ftypheic");
    expect(sniffInputType(heic.subarray(0, 64))).toBe(HEIF_TYPE);
    expect(sniffInputType(await makeImage("avif"))).toBe("image/avif");
  });
});

describe("jpegFilename", () => {
  it.each([
    ["IMG_0042.heic", "IMG_0042.jpg"],
    ["IMG_0042.HEIC", "IMG_0042.jpg"],
    ["photo.heif", "photo.jpg"],
    ["photo.HeIf", "photo.jpg"],
    ["photo", "photo.jpg"],
    ["photo.png", "photo.png.jpg"],
    ["archive.heic.bak", "archive.heic.bak.jpg"],
  ])("%s → %s", (name, expected) => {
    expect(jpegFilename(name)).toBe(expected);
  });
});

describe("prepareUpload converts HEIC/HEIF to JPEG (Node: heic-convert with jpeg-js)", () => {
  let heic: Buffer;
  beforeAll(async () => {
    heic = await makeHeic(64, 48);
  });
  afterEach(() => vi.restoreAllMocks());

  it("a HEIC becomes a JPEG of the same size, named .jpg, reported as 'converting'; the input is not touched", async () => {
    const input = new Uint8Array(heic);
    const before = sha256(input);
    const stages: UploadStage[] = [];
    const prepared = await prepareUpload(input, "IMG_0042.heic", { onStage: (stage) => stages.push(stage) });
    expect(stages).toEqual(["converting"]);
    expect(prepared).toMatchObject({
      contentType: "image/jpeg",
      filename: "IMG_0042.jpg",
      convertedFrom: "image/heif",
    });
    expect(prepared.blob.type).toBe("image/jpeg");
    const jpeg = await jpegOf(prepared.blob);
    expect([...jpeg.bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(jpeg).toMatchObject({ format: "jpeg", width: 64, height: 48 });
    // No EXIF orientation in the result: the pixels are already upright.
    expect(jpeg.orientation).toBeUndefined();
    expect(sha256(input)).toBe(before);
  });

  it("odd sizes survive (heif-enc pads to even and crops with clap)", async () => {
    const jpeg = await jpegOf((await prepareUpload(await makeHeic(33, 21), "odd.heic")).blob);
    expect(jpeg).toMatchObject({ width: 33, height: 21 });
  });

  it("applies the file's rotation (irot): a 40x20 picture turned 90° anticlockwise comes out 20x40, upright", async () => {
    const source = await heifEnc(await halvesPng(40, 20));
    // Unrotated: red on the left, blue on the right.
    const plain = await jpegOf((await prepareUpload(source, "plain.heic")).blob);
    expect(plain).toMatchObject({ width: 40, height: 20 });
    expectColour(await pixel(plain.bytes, 5, 10), RED);
    expectColour(await pixel(plain.bytes, 35, 10), BLUE);

    // Turned a quarter anticlockwise, the right (blue) half goes to the top.
    const turned = await jpegOf((await prepareUpload(withRotation(source, 1), "turned.heic")).blob);
    expect(turned).toMatchObject({ width: 20, height: 40 });
    expectColour(await pixel(turned.bytes, 10, 5), BLUE);
    expectColour(await pixel(turned.bytes, 10, 35), RED);

    const halfTurn = await jpegOf((await prepareUpload(withRotation(source, 2), "upside-down.heic")).blob);
    expect(halfTurn).toMatchObject({ width: 40, height: 20 });
    expectColour(await pixel(halfTurn.bytes, 5, 10), BLUE);
  });

  it("a major brand heic-decode does not know (heim) still converts, from a copy", async () => {
    const heim = Buffer.from(heic);
    heim.write("heim", 8, "latin1");
    const input = new Uint8Array(heim);
    const jpeg = await jpegOf((await prepareUpload(input, "layered.heif")).blob);
    expect(jpeg).toMatchObject({ width: 64, height: 48 });
    expect(Buffer.from(input).toString("latin1", 8, 12)).toBe("heim");
  });

  it("a corrupt HEIC (valid ftyp, garbage after): BAD_USER_INPUT with libheif's reason, nothing printed", async () => {
    const log = vi.spyOn(console, "log");
    const stdout = vi.spyOn(process.stdout, "write");
    const error = await prepareUpload(corruptHeic(heic), "broken.heic").then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImageHostError);
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      details: { stage: "converting", reason: expect.stringMatching(/\S/) },
    });
    expect((error as ImageHostError).message).toMatch(/^broken\.heic could not be converted from HEIC to JPEG: .+\.$/);
    // libheif says why with console.log; that must not reach stdout, where the CLI prints links.
    expect(log).not.toHaveBeenCalled();
    expect(stdout).not.toHaveBeenCalled();
    // And the decoder still works afterwards, with console.log given back.
    expect(console.log).toBe(log);
    expect((await jpegOf((await prepareUpload(heic, "again.heic")).blob)).width).toBe(64);
  });

  it("several files at once convert one after the other, each right", async () => {
    const sizes: [number, number][] = [
      [16, 8],
      [24, 24],
      [8, 30],
    ];
    const files = await Promise.all(sizes.map(([w, h]) => makeHeic(w, h)));
    const results = await Promise.all([
      ...files.map((f, i) => prepareUpload(f, `${i}.heic`)),
      prepareUpload(corruptHeic(heic), "bad.heic").catch((e: unknown) => e),
    ]);
    for (const [i, [w, h]] of sizes.entries())
      expect(await jpegOf((results[i] as { blob: Blob }).blob)).toMatchObject({ width: w, height: h });
    expect(results[3]).toMatchObject({ code: "BAD_USER_INPUT" });
  });

  it("other types go as they are, with no 'converting' stage; others are refused", async () => {
    const png = await makeImage("png", 5, 5);
    const stages: UploadStage[] = [];
    const prepared = await prepareUpload(png, "cat.png", { onStage: (s) => stages.push(s) });
    expect(prepared).toMatchObject({ contentType: "image/png", filename: "cat.png", convertedFrom: null });
    expect(Buffer.from(await prepared.blob.arrayBuffer()).equals(png)).toBe(true);
    expect(stages).toEqual([]);
    await expect(prepareUpload(Buffer.from("hello"), "notes.txt")).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      message: "notes.txt is not a JPEG, PNG, GIF, WebP, AVIF or HEIC image.",
    });
    await expect(prepareUpload(new Uint8Array(0), "empty.heic")).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      message: "empty.heic is empty.",
    });
  });

  it("an aborted signal stops before converting", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(prepareUpload(heic, "x.heic", { signal: controller.signal })).rejects.toThrow("stop");
  });
});
