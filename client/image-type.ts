/**
 * The image types the server accepts (DESIGN.md "Upload flow"), recognised by their magic bytes. The client checks
 * before anything is sent, so an SVG renamed .png or a text file never costs an upload ticket; the server checks
 * again at completeUpload whatever the client says.
 */
export const ALLOWED_IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"] as const;
export type AllowedImageType = (typeof ALLOWED_IMAGE_TYPES)[number];

/** How many leading bytes `sniffImageType` needs (an AVIF `ftyp` box with a few compatible brands). */
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
  if (head.length < 16 || ascii(head, 4, 8) !== "ftyp") return false;
  const declared = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  const boxEnd = Math.min(declared, head.length);
  const brands = [ascii(head, 8, 12)];
  for (let offset = 16; offset + 4 <= boxEnd; offset += 4) brands.push(ascii(head, offset, offset + 4));
  return brands.includes("avif") || brands.includes("avis");
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/** "JPEG, PNG, GIF, WebP or AVIF", for messages. */
export const ALLOWED_IMAGE_TYPES_TEXT = "JPEG, PNG, GIF, WebP or AVIF";
