/**
 * How the web app talks to the server. GraphQL goes through the typed client (the generated React Query hooks
 * and `ImageHostClient.upload`) with no credential of its own: the browser adds the httpOnly session cookie,
 * which page scripts cannot read (SEC-5). Login, registration and logout go to /web/session, which sets and clears
 * that cookie; they are the only hand-written requests.
 */
import { ImageHostClient } from "../../client/image-host-client.js";

/** fetch that sends the session cookie to our own origin only, and nothing else (no API key). */
const sameOriginFetch: typeof fetch = (input, init) => fetch(input, { ...init, credentials: "same-origin" });

/** The client behind the generated hooks. */
export function createAppClient(): ImageHostClient {
  return new ImageHostClient({ baseUrl: "", credential: null, fetch: sameOriginFetch });
}

export type UploadProgressListener = (sent: number, total: number) => void;

/**
 * A client for one upload whose byte transfer reports real progress. fetch cannot report upload progress in
 * browsers (only HTTP/2 streams could), so the request to the storage URL goes through XMLHttpRequest, whose
 * `upload.onprogress` can; GraphQL calls go through fetch as usual. `beforeComplete` is awaited before the image is
 * recorded.
 */
export function createUploadClient(
  onBytes: UploadProgressListener,
  options: { beforeComplete?: () => Promise<void> } = {},
): ImageHostClient {
  const graphqlEndpoint = new URL("/graphql", window.location.href).href;
  const progressFetch: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (new URL(url, window.location.href).href === graphqlEndpoint) return sameOriginFetch(input, init);
    return xhrFetch(url, init, onBytes);
  };
  const clientOptions = { baseUrl: "", credential: null, fetch: progressFetch };
  const { beforeComplete } = options;
  if (!beforeComplete) return new ImageHostClient(clientOptions);
  // `upload` records the image through `completeUpload`, after the bytes are sent: holding that call back orders
  // when images are recorded (and so the gallery) without holding back the transfers.
  return new (class extends ImageHostClient {
    override async completeUpload(uploadId: string) {
      await beforeComplete();
      return super.completeUpload(uploadId);
    }
  })(clientOptions);
}

/** Statuses whose Response must have no body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Just enough of fetch over XMLHttpRequest for sending bytes to storage, with upload progress. */
function xhrFetch(url: string, init: RequestInit | undefined, onBytes: UploadProgressListener): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(init?.method ?? "GET", url);
    xhr.responseType = "arraybuffer";
    new Headers(init?.headers).forEach((value, name) => xhr.setRequestHeader(name, value));
    // Same-origin (the local driver) sends cookies anyway; storage on another origin gets none.
    xhr.withCredentials = false;
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onBytes(event.loaded, event.total);
    };
    xhr.onload = () => {
      const headers = new Headers();
      for (const line of xhr
        .getAllResponseHeaders()
        .trim()
        .split(/[\r\n]+/)) {
        const colon = line.indexOf(":");
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      const body = NULL_BODY_STATUSES.has(xhr.status) ? null : (xhr.response as ArrayBuffer | null);
      resolve(new Response(body, { status: xhr.status, statusText: xhr.statusText, headers }));
    };
    xhr.onerror = () => reject(new TypeError("Network request failed"));
    xhr.ontimeout = () => reject(new TypeError("Network request timed out"));
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    const signal = init?.signal;
    if (signal) {
      if (signal.aborted) {
        reject(new DOMException("The upload was cancelled.", "AbortError"));
        return;
      }
      signal.addEventListener("abort", () => xhr.abort(), { once: true });
    }
    xhr.send((init?.body ?? null) as XMLHttpRequestBodyInit | null);
  });
}
