import type { BlobStore } from "../ports/blob-store.js";

/** Key and type used only for signing probe URLs; nothing is read or written under it. */
const PROBE_KEY = "img/csp-origin-probe";
const PROBE_TYPE = "image/png";

/**
 * The origins, other than `ownOrigin`, that browsers reach for image bytes: where the public links redirect to and
 * where direct uploads (PUT and POST) go. Found by asking the blob store to sign one URL of each kind (local
 * signing, no request is sent), so the answer matches the URLs clients are really given: path-style or
 * virtual-hosted, custom endpoint, AWS region or S3_PUBLIC_URL. For the CSP's img-src and connect-src (SEC-9).
 */
export async function browserStorageOrigins(blobs: BlobStore, ownOrigin: string): Promise<string[]> {
  const expiresAt = Date.now() + 60_000;
  const request = { key: PROBE_KEY, contentType: PROBE_TYPE, maxBytes: 1, exactBytes: null, expiresAt };
  const urls = [
    (await blobs.downloadUrl(PROBE_KEY, PROBE_TYPE)).url,
    (await blobs.createUploadTarget({ ...request, method: "PUT" })).url,
  ];
  // Only S3 offers POST forms; the local driver refuses them.
  if (blobs.driver === "s3") urls.push((await blobs.createUploadTarget({ ...request, method: "POST" })).url);
  const origins = new Set(urls.map((url) => new URL(url).origin));
  origins.delete(ownOrigin);
  return [...origins].sort();
}
