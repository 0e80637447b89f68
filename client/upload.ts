import { ImageHostError, httpError, networkError } from "./errors.js";
import type { RequestUploadMutation } from "./generated/graphql.js";
// Types only: the module itself is imported on demand (see prepareUpload), so bundles load it lazily.
import type * as HeifModule from "./heif.js";
import {
  ALLOWED_IMAGE_TYPES_TEXT,
  type AllowedImageType,
  INPUT_IMAGE_TYPES_TEXT,
  SNIFF_BYTES,
  isHeif,
  sniffImageType,
} from "./image-type.js";

/** How to send one file straight to storage (the result of `requestUpload`). */
export type UploadTicket = RequestUploadMutation["requestUpload"];

/** What can be uploaded: a Blob or File (in Node, `fs.openAsBlob` reads lazily from disk), or bytes in memory. */
export type UploadBody = Blob | Uint8Array | ArrayBuffer;

export interface UploadProgress {
  /** Bytes handed to the connection so far. */
  sent: number;
  /** Size of the file, bytes. */
  total: number;
}
export type ProgressListener = (progress: UploadProgress) => void;

export interface SendBytesOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Called with 0 before sending, as chunks go out when the body is streamed, and with `total` on success. */
  onProgress?: ProgressListener;
  /**
   * Stream a PUT body in chunks to report progress as it goes. Only used when the target does not need the length
   * up front (see `canStream`). "auto" (default): in Node, where fetch streams request bodies over HTTP/1.1;
   * browsers only do over HTTP/2, so there the progress is 0 → total.
   */
  streaming?: boolean | "auto";
  /** The name of the file part of a POST form. */
  filename?: string;
}

/** Chunk size when streaming: small enough for a smooth progress bar, large enough to cost nothing. */
const STREAM_CHUNK_BYTES = 64 * 1024;

export function toBlob(body: UploadBody): Blob {
  if (body instanceof Blob) return body;
  // Copy into a fresh ArrayBuffer-backed view: a Blob part may not be a view of a SharedArrayBuffer.
  return new Blob([body instanceof ArrayBuffer ? body : new Uint8Array(body)]);
}

/**
 * The allowed type of these bytes by their magic numbers; throws BAD_USER_INPUT (nothing sent) for anything else
 * (HEIC included: `prepareUpload` is the check that converts it), and for an empty file.
 */
export async function checkImageType(blob: Blob, filename: string): Promise<AllowedImageType> {
  if (blob.size === 0) throw new ImageHostError("BAD_USER_INPUT", `${filename} is empty.`);
  const head = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
  const type = sniffImageType(head);
  if (type === null)
    throw new ImageHostError("BAD_USER_INPUT", `${filename} is not a ${ALLOWED_IMAGE_TYPES_TEXT} image.`);
  return type;
}

/**
 * Where an upload is, for UIs: "converting" (a HEIC/HEIF file becoming JPEG, only for those), "uploading" (ticket and
 * bytes; `onProgress` reports the bytes), "completing" (the server verifies and records the image).
 */
export type UploadStage = "converting" | "uploading" | "completing";
export type StageListener = (stage: UploadStage) => void;

/** What is actually sent for a file: the bytes, their type and the name to store. */
export interface PreparedUpload {
  blob: Blob;
  contentType: AllowedImageType;
  filename: string;
  /** `"image/heif"` when the file was HEIC/HEIF and `blob` is the JPEG made from it; null when sent as is. */
  convertedFrom: "image/heif" | null;
}

export interface PrepareUploadOptions {
  /** Called with "converting" before a HEIC/HEIF file is converted (not called otherwise). */
  onStage?: StageListener;
  /** Checked before and after converting (the decoding itself cannot be interrupted). */
  signal?: AbortSignal;
}

/**
 * Checks a file by its bytes and gets it ready to send, before anything is sent: JPEG, PNG, GIF, WebP and AVIF go
 * as they are; HEIC/HEIF (by its `ftyp` brands, never by its name) is decoded and re-encoded as JPEG (quality 0.9,
 * rotation applied, no EXIF), its name given a `.jpg` extension; anything else, or an empty file, is
 * BAD_USER_INPUT. A HEIF file that cannot be decoded is BAD_USER_INPUT with `details.stage` "converting" and
 * `details.reason` (libheif's reason). The caller's file or bytes are never modified.
 *
 * The decoder (client/heif.ts, heic-convert with libheif in wasm) is imported only when a HEIF file shows up, so a
 * browser bundle loads it as a lazy chunk then, and never otherwise.
 */
export async function prepareUpload(
  body: UploadBody,
  filename: string,
  options: PrepareUploadOptions = {},
): Promise<PreparedUpload> {
  const blob = toBlob(body);
  if (blob.size === 0) throw new ImageHostError("BAD_USER_INPUT", `${filename} is empty.`);
  const head = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
  const type = sniffImageType(head);
  if (type !== null) return { blob, contentType: type, filename, convertedFrom: null };
  if (!isHeif(head))
    throw new ImageHostError("BAD_USER_INPUT", `${filename} is not a ${INPUT_IMAGE_TYPES_TEXT} image.`);

  options.signal?.throwIfAborted();
  options.onStage?.("converting");
  let heif: typeof HeifModule;
  try {
    heif = await import("./heif.js");
    await heif.loadDecoder();
  } catch (error) {
    // In a browser: the lazy chunk could not be fetched (offline, or a new deploy replaced it).
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImageHostError("NETWORK_ERROR", `Could not load the HEIC decoder (${reason}).`, { cause: error });
  }
  let jpeg: Uint8Array<ArrayBuffer>;
  try {
    jpeg = await heif.heifToJpeg(new Uint8Array(await blob.arrayBuffer()));
  } catch (error) {
    if (!(error instanceof heif.HeifDecodeError)) throw error;
    throw new ImageHostError(
      "BAD_USER_INPUT",
      `${filename} could not be converted from HEIC to JPEG: ${error.message}.`,
      {
        details: { stage: "converting", reason: error.message },
        cause: error,
      },
    );
  }
  options.signal?.throwIfAborted();
  return {
    blob: new Blob([jpeg], { type: "image/jpeg" }),
    contentType: "image/jpeg",
    filename: jpegFilename(filename),
    convertedFrom: "image/heif",
  };
}

/** The name for a converted file: `.heic`/`.heif` becomes `.jpg` (any case), any other name gets `.jpg` added. */
export function jpegFilename(filename: string): string {
  return `${filename.replace(/\.hei[cf]$/i, "")}.jpg`;
}

/**
 * Whether the bytes for this ticket can go as a chunked stream: only a PUT whose ticket signs no Content-Length,
 * to a URL that is not an S3 presigned URL (S3 refuses a PUT without Content-Length). In practice: the local
 * driver's upload URL. S3 tickets from `requestUpload` with a size always sign the length.
 */
export function canStream(ticket: UploadTicket): boolean {
  if (ticket.method !== "PUT") return false;
  if (ticket.headers.some((h) => h.name.toLowerCase() === "content-length")) return false;
  try {
    const params = new URL(ticket.url).searchParams;
    return !params.has("X-Amz-Signature") && !params.has("Signature");
  } catch {
    return false;
  }
}

/**
 * Sends the bytes exactly as the ticket says: a PUT with the ticket's headers (Content-Length is left to fetch,
 * which derives it from the body; browsers forbid setting it), or a multipart POST with the ticket's fields first
 * and the file last as `file`. Storage errors become HTTP_ERROR, unreachable storage NETWORK_ERROR.
 *
 * Progress: a streamable target (see `canStream`) gets real, chunk-by-chunk progress. Presigned S3 PUTs sign the
 * length and POST forms need it too, and fetch only knows a length for a whole Blob body, not a stream: those
 * report 0 before and `total` after.
 */
export async function sendBytes(ticket: UploadTicket, body: UploadBody, options: SendBytesOptions = {}): Promise<void> {
  const blob = toBlob(body);
  const total = blob.size;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const report = (sent: number) => options.onProgress?.({ sent, total });

  let init: RequestInit & { duplex?: "half" };
  if (ticket.method === "POST") {
    const form = new FormData();
    for (const field of ticket.fields) form.append(field.name, field.value);
    form.append("file", blob, options.filename ?? "upload");
    init = { method: "POST", body: form };
  } else {
    const headers = new Headers();
    for (const header of ticket.headers) {
      if (header.name.toLowerCase() !== "content-length") headers.set(header.name, header.value);
    }
    const stream = shouldStream(options.streaming) && canStream(ticket);
    init = stream
      ? { method: "PUT", headers, body: chunkedStream(blob, report), duplex: "half" }
      : { method: "PUT", headers, body: blob };
  }
  init.signal = options.signal;

  report(0);
  let response: Response;
  try {
    response = await doFetch(ticket.url, init);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    throw networkError(ticket.url, error);
  }
  if (!response.ok) throw httpError(ticket.url, response.status, await response.text().catch(() => ""));
  // Drain the (empty) body so the connection can be reused.
  await response.arrayBuffer().catch(() => undefined);
  report(total);
}

function shouldStream(setting: SendBytesOptions["streaming"]): boolean {
  if (setting === true || setting === false) return setting;
  const runtime = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof runtime?.versions?.node === "string";
}

/** The blob as a pull stream of ≤ 64 KiB chunks; `onSent` gets the running total as fetch takes each one. */
function chunkedStream(blob: Blob, onSent: (sent: number) => void): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (offset >= blob.size) {
          controller.close();
          return;
        }
        const end = Math.min(offset + STREAM_CHUNK_BYTES, blob.size);
        const chunk = new Uint8Array(await blob.slice(offset, end).arrayBuffer());
        offset = end;
        controller.enqueue(chunk);
        onSent(offset);
      },
    },
    // Read only when fetch asks for more, so the count follows the connection rather than running ahead.
    { highWaterMark: 0 },
  );
}
