import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { useMyImagesQuery } from "../../../client/generated/react-query.js";
import { ALLOWED_IMAGE_TYPES, HEIF_TYPE, INPUT_IMAGE_TYPES_TEXT } from "../../../client/image-type.js";
import { createUploadClient } from "../api.js";
import { CompletionOrder } from "../completion-order.js";
import { describeError } from "../errors.js";
import { Previews, type UploadItem, UploadRow } from "./UploadRow.js";

/** What the file picker offers; HEIC/HEIF photos are converted to JPEG by the client before they are sent. */
const PICKER_TYPES = [...ALLOWED_IMAGE_TYPES, HEIF_TYPE, "image/heic", ".heic", ".heif"].join(",");

/** Files sent at once; the rest wait their turn. */
const CONCURRENCY = 3;

/**
 * Upload by drag-and-drop (anywhere on the page), paste, or the file picker; several files at once, each with its
 * own progress bar and its own error. The client checks each file's type by its first bytes before anything is
 * sent, and the server checks it again after the bytes arrive. The newest batch is listed on top, each batch in the
 * order picked, and images are recorded in that order too, so the gallery follows it whichever file finishes first.
 */
export function Uploader() {
  const queryClient = useQueryClient();
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const queue = useRef<UploadItem[]>([]);
  const running = useRef(0);
  const nextKey = useRef(1);
  const order = useRef(new CompletionOrder());
  const previews = useRef(new Previews());

  useEffect(() => {
    const live = previews.current;
    return () => live.revokeAll();
  }, []);

  const update = useCallback((key: number, change: Partial<Pick<UploadItem, "state" | "preview">>) => {
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }, []);

  const run = useCallback(
    async (item: UploadItem) => {
      let stage: "converting" | "uploading" | "completing" = "uploading";
      update(item.key, { state: { status: "uploading", sent: 0, total: item.file.size } });
      // Byte counts from the transfer itself (XMLHttpRequest), only while the bytes are on their way.
      const client = createUploadClient(
        (sent, total) => {
          if (stage === "uploading") update(item.key, { state: { status: "uploading", sent, total } });
        },
        { beforeComplete: () => item.turn.wait },
      );
      try {
        const image = await client.upload(item.file, {
          filename: item.name,
          onStage: (next) => {
            stage = next;
            if (next === "converting") update(item.key, { state: { status: "converting" } });
            else if (next === "completing") update(item.key, { state: { status: "verifying" } });
          },
          // The picked HEIC file drew nothing (browsers cannot decode it); its JPEG can be drawn.
          onConverted: (jpeg) => {
            previews.current.revoke(item.preview);
            update(item.key, { preview: previews.current.create(jpeg) });
          },
          onProgress: ({ sent, total }) => {
            if (stage === "uploading") update(item.key, { state: { status: "uploading", sent, total } });
          },
        });
        update(item.key, { state: { status: "done", image } });
        void queryClient.invalidateQueries({ queryKey: [useMyImagesQuery.rootKey] });
      } catch (error) {
        update(item.key, { state: { status: "failed", message: describeError(error) } });
      } finally {
        item.turn.release();
      }
    },
    [queryClient, update],
  );

  const pump = useCallback(() => {
    while (running.current < CONCURRENCY && queue.current.length > 0) {
      const item = queue.current.shift()!;
      running.current += 1;
      void run(item).finally(() => {
        running.current -= 1;
        pump();
      });
    }
  }, [run]);

  const enqueue = useCallback(
    (files: File[]) => {
      if (files.length === 0) return;
      const added = files.map((file): UploadItem => ({
        key: nextKey.current++,
        file,
        name: file.name || "upload",
        state: { status: "queued" },
        preview: previews.current.create(file),
        // Taken here, in the order picked; the queue starts them in that order too, so no turn waits on an
        // upload that has not started.
        turn: order.current.take(),
      }));
      setItems((list) => [...added, ...list]);
      queue.current.push(...added);
      pump();
    },
    [pump],
  );

  // Paste from the clipboard anywhere on the page; drop anywhere too (and never let the browser open the file).
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (files.length === 0) return;
      event.preventDefault();
      enqueue(files.map(namePasted));
    };
    const onDragOver = (event: DragEvent) => {
      if (!event.dataTransfer?.types.includes("Files")) return;
      event.preventDefault();
      setDragging(true);
    };
    const onDragEnd = (event: DragEvent) => {
      // Leaving the window (relatedTarget null) or dropping ends the highlight.
      if (event.type === "drop" || event.relatedTarget === null) setDragging(false);
    };
    const onDrop = (event: DragEvent) => {
      if (!event.dataTransfer?.types.includes("Files")) return;
      event.preventDefault();
      setDragging(false);
      enqueue([...event.dataTransfer.files]);
    };
    document.addEventListener("paste", onPaste);
    window.addEventListener("dragover", onDragOver);
    window.addEventListener("dragleave", onDragEnd);
    window.addEventListener("drop", onDrop);
    return () => {
      document.removeEventListener("paste", onPaste);
      window.removeEventListener("dragover", onDragOver);
      window.removeEventListener("dragleave", onDragEnd);
      window.removeEventListener("drop", onDrop);
    };
  }, [enqueue]);

  const finished = items.filter((item) => item.state.status === "done" || item.state.status === "failed");
  const done = items.filter((item) => item.state.status === "done").length;
  const failed = items.filter((item) => item.state.status === "failed").length;

  return (
    <section className="panel" aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload</h2>
      <div className={`dropzone${dragging ? " dragging" : ""}`}>
        <p className="dropzone-text">
          <strong>Drop images here</strong>, paste one with <kbd>Ctrl</kbd>+<kbd>V</kbd>, or
        </p>
        <button type="button" className="primary" onClick={() => inputRef.current?.click()}>
          Upload
        </button>
        {/* The Upload button opens it; hidden, so assistive technology meets one control, not two. */}
        <input
          ref={inputRef}
          hidden
          type="file"
          multiple
          accept={PICKER_TYPES}
          aria-label="Choose images to upload"
          onChange={(event) => {
            enqueue([...(event.currentTarget.files ?? [])]);
            // Choosing the same file again should upload it again.
            event.currentTarget.value = "";
          }}
        />
        <p className="hint">{INPUT_IMAGE_TYPES_TEXT} (HEIC photos become JPEG). Several at once is fine.</p>
      </div>

      {items.length > 0 ? (
        <>
          <div className="uploads-head">
            <p className="uploads-summary" role="status">
              {done} of {items.length} uploaded{failed > 0 ? `, ${failed} failed` : ""}
            </p>
            {finished.length > 0 ? (
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  for (const item of finished) previews.current.revoke(item.preview);
                  setItems((list) =>
                    list.filter((item) => item.state.status !== "done" && item.state.status !== "failed"),
                  );
                }}
              >
                Clear finished
              </button>
            ) : null}
          </div>
          <ul className="uploads" aria-label="Uploads">
            {items.map((item) => (
              <UploadRow key={item.key} item={item} previews={previews.current} />
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** Clipboard images arrive as "image.png": give them a name that says when they were pasted. */
function namePasted(file: File): File {
  if (file.name && file.name !== "image.png" && file.name !== "image.jpeg") return file;
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  const extension = file.type.split("/")[1] ?? "png";
  return new File([file], `pasted-${stamp}.${extension}`, { type: file.type, lastModified: file.lastModified });
}
