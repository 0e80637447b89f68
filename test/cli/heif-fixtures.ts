/**
 * HEIC test files, made at test time: Debian's `heif-enc` (package libheif-examples, installed by .ci/run) encodes a
 * PNG made with sharp, and `withRotation` adds the `irot` property an iPhone writes for a photo taken sideways
 * (heif-enc 1.15 has no option for it and does not turn EXIF orientation into one).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";

const run = promisify(execFile);

/** Encodes `png` as HEIC (HEVC, quality 80) with heif-enc. */
export async function heifEnc(png: Buffer): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ih-heif-"));
  try {
    await writeFile(path.join(dir, "in.png"), png);
    try {
      await run("heif-enc", ["-q", "80", "in.png", "-o", "out.heic"], { cwd: dir });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error("heif-enc is not installed: apt-get install libheif-examples (.ci/run does it)", {
          cause: error,
        });
      }
      throw error;
    }
    return await readFile(path.join(dir, "out.heic"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const RED = { r: 255, g: 0, b: 0 };
export const BLUE = { r: 0, g: 0, b: 255 };

/** A PNG whose left half is red and right half blue, so a test can tell which way it was turned. */
export function halvesPng(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = x < width / 2 ? RED : BLUE;
      raw.set([colour.r, colour.g, colour.b], (y * width + x) * 3);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A HEIC made by heif-enc: a picture of one random colour, `width`×`height`. */
export async function makeHeic(width: number, height: number): Promise<Buffer> {
  const background = {
    r: Math.floor(Math.random() * 256),
    g: Math.floor(Math.random() * 256),
    b: Math.floor(Math.random() * 256),
  };
  return heifEnc(
    await sharp({ create: { width, height, channels: 3, background } })
      .png()
      .toBuffer(),
  );
}

/** A file with a valid HEIC `ftyp` box (from `heic`) and garbage after it. */
export function corruptHeic(heic: Buffer): Buffer {
  const ftypSize = heic.readUInt32BE(0);
  return Buffer.concat([heic.subarray(0, ftypSize), Buffer.alloc(600, 0x5a)]);
}

/** Just an `ftyp` box with these brands (and nothing after), for the detection tests. */
export function ftyp(major: string, compatible: string[]): Buffer {
  const box = Buffer.concat([
    Buffer.alloc(4),
    Buffer.from(`ftyp${major}`),
    Buffer.alloc(4),
    ...compatible.map((b) => Buffer.from(b)),
  ]);
  box.writeUInt32BE(box.length, 0);
  return box;
}

interface Box {
  type: string;
  start: number;
  end: number;
}

function boxes(file: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  for (let offset = start; offset < end;) {
    const size = file.readUInt32BE(offset);
    if (size < 8) throw new Error("withRotation handles only 32-bit box sizes");
    out.push({ type: file.toString("latin1", offset + 4, offset + 8), start: offset, end: offset + size });
    offset += size;
  }
  return out;
}

function child(file: Buffer, parent: Box, headerBytes: number, type: string): Box {
  const found = boxes(file, parent.start + headerBytes, parent.end).find((b) => b.type === type);
  if (!found) throw new Error(`no ${type} box in ${parent.type}`);
  return found;
}

function withSize(header: string, payload: Buffer): Buffer {
  const box = Buffer.concat([Buffer.alloc(4), Buffer.from(header, "latin1"), payload]);
  box.writeUInt32BE(box.length, 0);
  return box;
}

/**
 * A copy of a heif-enc file whose primary image carries an `irot` property: the image is to be shown turned
 * `quarterTurns` × 90° anticlockwise. Adds the property to `ipco`, associates it (essential) with the primary item in
 * `ipma`, and moves the `iloc` offsets into `mdat` by the bytes added to `meta`.
 */
export function withRotation(heic: Buffer, quarterTurns: 1 | 2 | 3): Buffer {
  const top = boxes(heic, 0, heic.length);
  const meta = top.find((b) => b.type === "meta")!;
  const mdat = top.find((b) => b.type === "mdat")!;
  if (mdat.start < meta.start) throw new Error("withRotation expects meta before mdat");
  const pitm = child(heic, meta, 12, "pitm");
  const primary = heic[pitm.start + 8] === 0 ? heic.readUInt16BE(pitm.start + 12) : heic.readUInt32BE(pitm.start + 12);
  const iprp = child(heic, meta, 12, "iprp");
  const ipco = child(heic, iprp, 8, "ipco");
  const ipma = child(heic, iprp, 8, "ipma");

  const irot = withSize("irot", Buffer.from([quarterTurns]));
  const newIpco = withSize("ipco", Buffer.concat([heic.subarray(ipco.start + 8, ipco.end), irot]));
  const propertyIndex = boxes(heic, ipco.start + 8, ipco.end).length + 1;

  // ipma: FullBox; entry_count; per entry item_ID (16 or 32 bits), association_count, associations (8 or 16 bits).
  const version = heic[ipma.start + 8]!;
  const wide = (heic[ipma.start + 11]! & 1) === 1;
  const parts: Buffer[] = [heic.subarray(ipma.start + 8, ipma.start + 16)];
  let at = ipma.start + 16;
  for (let entry = heic.readUInt32BE(ipma.start + 12); entry > 0; entry--) {
    const idBytes = version < 1 ? 2 : 4;
    const item = idBytes === 2 ? heic.readUInt16BE(at) : heic.readUInt32BE(at);
    const count = heic[at + idBytes]!;
    const associations = heic.subarray(at + idBytes + 1, at + idBytes + 1 + count * (wide ? 2 : 1));
    at += idBytes + 1 + associations.length;
    if (item !== primary) {
      parts.push(heic.subarray(at - idBytes - 1 - associations.length, at));
      continue;
    }
    const added = wide
      ? Buffer.from([0x80 | (propertyIndex >> 8), propertyIndex & 0xff])
      : Buffer.from([0x80 | propertyIndex]);
    const id = Buffer.alloc(idBytes);
    if (idBytes === 2) id.writeUInt16BE(item);
    else id.writeUInt32BE(item);
    parts.push(id, Buffer.from([count + 1]), associations, added);
  }
  const newIpma = withSize("ipma", Buffer.concat(parts));

  const newIprp = withSize(
    "iprp",
    Buffer.concat(
      boxes(heic, iprp.start + 8, iprp.end).map((b) =>
        b.type === "ipco" ? newIpco : b.type === "ipma" ? newIpma : heic.subarray(b.start, b.end),
      ),
    ),
  );
  const metaChildren = boxes(heic, meta.start + 12, meta.end);
  const grown = newIprp.length - (iprp.end - iprp.start);
  const newMeta = withSize(
    "meta",
    Buffer.concat([
      heic.subarray(meta.start + 8, meta.start + 12),
      ...metaChildren.map((b) =>
        b.type === "iprp"
          ? newIprp
          : b.type === "iloc"
            ? shiftedIloc(heic.subarray(b.start, b.end), grown)
            : heic.subarray(b.start, b.end),
      ),
    ]),
  );
  return Buffer.concat([heic.subarray(0, meta.start), newMeta, heic.subarray(meta.end)]);
}

/** A copy of an `iloc` box whose file offsets (construction method 0) point `delta` bytes further. */
function shiftedIloc(iloc: Buffer, delta: number): Buffer {
  const box = Buffer.from(iloc);
  const version = box[8]!;
  const offsetSize = box[12]! >> 4;
  const lengthSize = box[12]! & 0xf;
  const baseOffsetSize = box[13]! >> 4;
  const indexSize = version >= 1 ? box[13]! & 0xf : 0;
  let at = 14;
  const itemCount = version < 2 ? box.readUInt16BE(at) : box.readUInt32BE(at);
  at += version < 2 ? 2 : 4;
  const shift = (offset: number, size: number) => {
    if (size === 4) box.writeUInt32BE(box.readUInt32BE(offset) + delta, offset);
    else if (size === 8) box.writeBigUInt64BE(box.readBigUInt64BE(offset) + BigInt(delta), offset);
    else if (size !== 0) throw new Error(`unexpected iloc field size ${size}`);
  };
  for (let item = 0; item < itemCount; item++) {
    at += version < 2 ? 2 : 4; // item_ID
    const constructionMethod = version >= 1 ? box.readUInt16BE(at) & 0xf : 0;
    if (version >= 1) at += 2;
    at += 2; // data_reference_index
    const fileOffsets = constructionMethod === 0;
    if (fileOffsets && baseOffsetSize > 0) shift(at, baseOffsetSize);
    at += baseOffsetSize;
    const extents = box.readUInt16BE(at);
    at += 2;
    for (let extent = 0; extent < extents; extent++) {
      at += indexSize;
      if (fileOffsets && baseOffsetSize === 0) shift(at, offsetSize);
      at += offsetSize + lengthSize;
    }
  }
  return box;
}
