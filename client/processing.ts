import { ImageHostError } from "./errors.js";
import type { ImageFieldsFragment } from "./generated/graphql.js";
import type { ImageEvent, SubscribeHandlers } from "./live.js";

/** What `awaitProcessed` needs of a client: its event stream and a fresh read of one image. */
export interface ProcessingSource {
  imageEvents(
    handlers: Omit<SubscribeHandlers<ImageEvent>, "onData"> & { onEvent(event: ImageEvent): void },
  ): () => void;
  image(id: string): Promise<ImageFieldsFragment | null>;
}

/**
 * Resolves with the image once the server has processed it (status READY or FAILED; a FAILED image resolves too,
 * with its `failureReason`). Listens on `imageEvents` and, each time the socket (re)connects, reads the image once:
 * an event sent before the subscription started, or while it was away, is not replayed, so the read is what
 * catches it. Rejects with NOT_FOUND when the image is deleted meanwhile, and with the abort reason on `signal`.
 */
export function awaitProcessed(
  source: ProcessingSource,
  imageId: string,
  signal?: AbortSignal,
): Promise<ImageFieldsFragment> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      stop();
      outcome();
    };
    const check = (image: ImageFieldsFragment | null) => {
      if (image === null) settle(() => reject(gone(imageId)));
      else if (image.status !== "PROCESSING") settle(() => resolve(image));
    };
    const stop = source.imageEvents({
      signal,
      onConnected: () => {
        source.image(imageId).then(check, (error: unknown) => settle(() => reject(error)));
      },
      onEvent: (event) => {
        if (event.imageId !== imageId) return;
        if (event.kind === "DELETED") check(null);
        else if (event.image) check(event.image);
      },
      onError: (error) => settle(() => reject(error)),
    });
    signal?.addEventListener("abort", () => settle(() => reject(signal.reason)), { once: true });
  });
}

function gone(imageId: string): ImageHostError {
  return new ImageHostError("NOT_FOUND", `Image ${imageId} was deleted before it was processed.`);
}
