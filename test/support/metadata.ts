import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";

const run = promisify(execFile);

/** Values planted in fixtures; none of them may appear in any served byte. */
const PLANTED = ["LeakyCam", "SN-SECRET-42", "XmpSecret", "IptcSecret", "CommentSecret", "TextSecret"] as const;

/** Tag groups (exiftool -G1) that carry metadata the pipeline must remove. */
const FORBIDDEN_GROUP = /^(GPS|IFD0|IFD1|ExifIFD|InteropIFD|MakerNotes|XMP(-.*)?|IPTC|Photoshop)$/;

/** Every tag exiftool reads from `bytes`, as `Group:Tag` → value. */
export async function exifTags(bytes: Buffer): Promise<Record<string, unknown>> {
  return withTempFile(bytes, async (file) => {
    const { stdout } = await run("exiftool", ["-j", "-G1", "-a", "-s", "-n", file]);
    const [tags] = JSON.parse(stdout) as Record<string, unknown>[];
    return tags ?? {};
  });
}

/** The metadata tags exiftool finds that must not be served: EXIF (GPS too), XMP, IPTC, comments, PNG text. */
export async function leakedMetadata(bytes: Buffer): Promise<string[]> {
  const tags = await exifTags(bytes);
  const leaked = Object.keys(tags).filter((name) => {
    const [group = "", tag = ""] = name.split(":");
    if (FORBIDDEN_GROUP.test(group)) return true;
    if (group === "File" && tag === "Comment") return true;
    // PNG keeps its image header in the PNG group; text chunks (Title, Comment, Make…) are metadata.
    return (
      group === "PNG" &&
      !/^(ImageWidth|ImageHeight|BitDepth|ColorType|Compression|Filter|Interlace|SRGBRendering|Gamma|Palette|Background.*|Transparency)$/.test(
        tag,
      )
    );
  });
  const text = bytes.toString("latin1");
  return [...leaked, ...PLANTED.filter((value) => text.includes(value)).map((value) => `bytes contain ${value}`)];
}

/** Frames, as ImageMagick's identify counts them. */
export async function frameCount(bytes: Buffer): Promise<number> {
  return withTempFile(bytes, async (file) => {
    const { stdout } = await run("identify", ["-format", "%wx%h\n", file]);
    return stdout.trim().split("\n").length;
  });
}

/** A small JPEG carrying GPS, camera make and serial, XMP, IPTC and a comment; EXIF orientation `orientation`. */
export async function leakyJpeg(width = 40, height = 20, orientation = 1): Promise<Buffer> {
  const base = await sharp({ create: { width, height, channels: 3, background: "#4a8" } })
    .withIccProfile("p3")
    .jpeg()
    .toBuffer();
  return exiftoolWrite(base, "jpg", [
    ...GPS_AND_CAMERA,
    "-XMP-dc:Creator=XmpSecret",
    "-IPTC:Keywords=IptcSecret",
    "-Comment=CommentSecret",
    `-Orientation#=${orientation}`,
  ]);
}

/** A PNG with an eXIf chunk (GPS, camera) and tEXt chunks. */
export async function leakyPng(): Promise<Buffer> {
  const base = await sharp({ create: { width: 30, height: 18, channels: 3, background: "#a48" } })
    .png()
    .toBuffer();
  return exiftoolWrite(base, "png", [...GPS_AND_CAMERA, "-PNG:Title=TextSecret", "-XMP-dc:Creator=XmpSecret"]);
}

/** A WebP with EXIF (GPS, camera) and XMP chunks. */
export async function leakyWebp(): Promise<Buffer> {
  const base = await sharp({ create: { width: 26, height: 14, channels: 3, background: "#48a" } })
    .webp()
    .toBuffer();
  return exiftoolWrite(base, "webp", [...GPS_AND_CAMERA, "-XMP-dc:Creator=XmpSecret"]);
}

/** An animated GIF of `frames` distinct frames. */
export async function animatedGif(frames = 3, width = 16, height = 12): Promise<Buffer> {
  const colours = ["#f00", "#0f0", "#00f", "#ff0", "#0ff", "#f0f"];
  const pngs = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width, height, channels: 3, background: colours[i % colours.length]! } })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(pngs, { join: { animated: true } })
    .gif({ delay: 100, loop: 0 })
    .toBuffer();
}

/**
 * A decompression bomb that passes the upload check: an animated GIF whose logical screen is `side`² (within
 * the limits) but whose `frames` frames together decode to far more pixels. About 100 KB.
 */
export async function gifBomb(side = 2000, frames = 30): Promise<Buffer> {
  const one = await sharp({ create: { width: side, height: side, channels: 3, background: "#c33" } })
    .gif()
    .toBuffer();
  let pos = 13;
  const flags = one[10]!;
  if (flags & 0x80) pos += 3 * (1 << ((flags & 7) + 1));
  const head = one.subarray(0, pos);
  const skipSubBlocks = () => {
    while (one[pos] !== 0) pos += one[pos]! + 1;
    pos += 1;
  };
  while (one[pos] === 0x21) {
    pos += 2;
    skipSubBlocks();
  }
  const start = pos;
  const imageFlags = one[start + 9]!;
  pos += 10 + (imageFlags & 0x80 ? 3 * (1 << ((imageFlags & 7) + 1)) : 0) + 1;
  skipSubBlocks();
  const image = one.subarray(start, pos);
  const loop = Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from("NETSCAPE2.0"), 0x03, 0x01, 0x00, 0x00, 0x00]);
  const control = Buffer.from([0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00]);
  const parts: Buffer[] = [head, loop];
  for (let i = 0; i < frames; i++) parts.push(control, image);
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}

const GPS_AND_CAMERA = [
  "-GPSLatitude=48.8583",
  "-GPSLatitudeRef=N",
  "-GPSLongitude=2.2945",
  "-GPSLongitudeRef=E",
  "-Make=LeakyCam",
  "-SerialNumber=SN-SECRET-42",
];

async function exiftoolWrite(bytes: Buffer, extension: string, args: string[]): Promise<Buffer> {
  return withTempFile(
    bytes,
    async (file) => {
      await run("exiftool", ["-q", "-overwrite_original", ...args, file]);
      return readFile(file);
    },
    extension,
  );
}

async function withTempFile<T>(bytes: Buffer, use: (file: string) => Promise<T>, extension = "bin"): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ih-meta-"));
  try {
    const file = path.join(dir, `image.${extension}`);
    await writeFile(file, bytes);
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
