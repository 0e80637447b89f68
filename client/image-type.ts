/**
 * The image types the server accepts (DESIGN.md "Upload flow"), recognised by their magic bytes. The client checks
 * before anything is sent, so an SVG renamed .png or a text file never costs an upload ticket; the server checks
 * again at completeUpload whatever the client says. HEIC/HEIF photos are not among them: the client converts them
 * to JPEG before upload (`isHeif`, client/heif.ts).
 */
export const ALLOWED_IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"] as const;
export type AllowedImageType = (typeof ALLOWED_IMAGE_TYPES)[number];

/** How many leading bytes `sniffImageType` and `isHeif` need (an `ftyp` box with a dozen compatible brands). */
export const SNIFF_BYTES = 64;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The allowed type these leading bytes belong to, or null for anything else (SVG, HTML, text, HEIC…). */
export function sniffImageType(head: Uint8Array): AllowedImageType | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (head.length >= 8 && PNG_SIGNATURE.every((byte, i) => head[i] === byte)) return "image/png";
  if (head.length >= 6 && (ascii(head, 0, 6) === "GIF87a" || ascii(head, 0, 6) === "GIF89a")) return "image/gif";
  if (head.length >= 12 && ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") return "image/webp";
  if (isAvif(head)) return "image/avif";
  return null;
}

/** An ISO-BMFF `ftyp` box whose major or compatible brands name AVIF (HEIC and other HEIF files do not). */
function isAvif(head: Uint8Array): boolean {
  const brands = ftypBrands(head);
  return brands !== null && (brands.includes("avif") || brands.includes("avis"));
}

/**
 * Brands of HEIF files ImageHost converts to JPEG before sending (ISO/IEC 23008-12): HEVC-coded images and
 * sequences (heic, heix, hevc, hevx), their multi-layer kinds (heim, heis), and the generic HEIF image and sequence
 * brands (mif1, msf1). AVIF files carry mif1 too, which is why AVIF is ruled out first.
 */
export const HEIF_BRANDS: readonly string[] = ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"];

/** The type `sniffInputType` gives HEIC and other HEIF files (converted to JPEG before upload, never sent as is). */
export const HEIF_TYPE = "image/heif";
/** What the client takes: an allowed type, sent as is, or HEIC/HEIF, converted to JPEG first. */
export type InputImageType = AllowedImageType | typeof HEIF_TYPE;

/**
 * An ISO-BMFF `ftyp` box with a HEIF brand (major or compatible) and no AVIF brand: an iPhone photo (`heic`), a
 * generic HEIF still (`mif1`). By the bytes only, never the name.
 */
export function isHeif(head: Uint8Array): boolean {
  const brands = ftypBrands(head);
  if (brands === null || brands.includes("avif") || brands.includes("avis")) return false;
  return brands.some((brand) => HEIF_BRANDS.includes(brand));
}

/** What the client does with these bytes: an allowed type, HEIF (to convert), or null (refused). */
export function sniffInputType(head: Uint8Array): InputImageType | null {
  return sniffImageType(head) ?? (isHeif(head) ? HEIF_TYPE : null);
}

/** The major brand then the compatible brands of a leading `ftyp` box (within `head`), or null if there is none. */
function ftypBrands(head: Uint8Array): string[] | null {
  if (head.length < 12 || ascii(head, 4, 8) !== "ftyp") return null;
  const declared = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  const boxEnd = Math.min(declared, head.length);
  const brands = [ascii(head, 8, 12)];
  // Bytes 12-16 are the minor version, not a brand.
  for (let offset = 16; offset + 4 <= boxEnd; offset += 4) brands.push(ascii(head, offset, offset + 4));
  return brands;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/** "JPEG, PNG, GIF, WebP or AVIF", for messages. */
export const ALLOWED_IMAGE_TYPES_TEXT = "JPEG, PNG, GIF, WebP or AVIF";
/** What the client takes (`sniffInputType`), for messages. */
export const INPUT_IMAGE_TYPES_TEXT = "JPEG, PNG, GIF, WebP, AVIF or HEIC";
