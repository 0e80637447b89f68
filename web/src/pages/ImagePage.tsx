import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import {
  useDeleteImageMutation,
  useImageQuery,
  useMyImagesQuery,
  useSetImageVisibilityMutation,
} from "../../../client/generated/react-query.js";
import { LinkField } from "../components/CopyButton.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { ImageFigure } from "../components/ImageFigure.js";
import { ShareButton } from "../components/ShareDialog.js";
import { describeError } from "../errors.js";
import { formatBytes, formatCount, formatDate } from "../format.js";
import { showNotice } from "../notice.js";
import { linkHandler, navigate } from "../router.js";

/** One image: the picture, its public link, size and dimensions, and delete (after a confirmation). */
export function ImagePage(props: { id: string }) {
  const queryClient = useQueryClient();
  const image = useImageQuery({ id: props.id });
  const [confirming, setConfirming] = useState(false);
  const setVisibility = useSetImageVisibilityMutation({
    onSuccess: (data) => {
      queryClient.setQueryData(useImageQuery.getKey({ id: props.id }), { image: data.setImageVisibility });
      void queryClient.invalidateQueries({ queryKey: [useMyImagesQuery.rootKey] });
      showNotice(
        data.setImageVisibility.visibility === "PRIVATE" ? "The image is private now." : "The image is public now.",
      );
    },
  });
  // Named when the delete is confirmed: the live DELETED event may empty the cached image before the answer comes.
  const deletedName = useRef("The image");
  const remove = useDeleteImageMutation({
    onSuccess: () => {
      const name = deletedName.current;
      setConfirming(false);
      queryClient.removeQueries({ queryKey: useImageQuery.getKey({ id: props.id }) });
      void queryClient.invalidateQueries({ queryKey: [useMyImagesQuery.rootKey] });
      showNotice(`Deleted ${name}.`);
      navigate("/");
    },
  });

  const back = (
    <p className="back">
      <a href="/" onClick={linkHandler("/")}>
        ← All images
      </a>
    </p>
  );

  if (image.isPending) {
    return (
      <>
        {back}
        <p role="status">Loading…</p>
      </>
    );
  }
  // The live DELETED event can arrive before the mutation's answer: not "not found", just gone on purpose.
  if ((remove.isPending || remove.isSuccess) && (image.isError || image.data.image === null)) {
    return (
      <>
        {back}
        <p role="status">Deleting…</p>
      </>
    );
  }
  if (image.isError || image.data.image === null) {
    return (
      <>
        {back}
        <section className="panel">
          <h1>Image not found</h1>
          <p>{image.isError ? describeError(image.error) : "There is no image here: it may have been deleted."}</p>
        </section>
      </>
    );
  }

  const { url, viewUrl, visibility, filename, size, width, height, contentType, createdAt, status } = image.data.image;
  const isPrivate = visibility === "PRIVATE";
  return (
    <>
      {back}
      <article className="panel image-view">
        <h1 className="image-title">{filename}</h1>
        <ImageFigure image={image.data.image} />
        <dl className="facts">
          <div>
            <dt>Link</dt>
            <dd>
              <LinkField url={url} label="Public link" />
              {status === "PROCESSING" && <p className="muted">The link works once processing has finished.</p>}
              {status === "FAILED" && <p className="muted">Processing failed: this link answers “not found”.</p>}
              {isPrivate && <p className="muted">Private: this link answers “not found” to everyone else.</p>}
            </dd>
          </div>
          <div>
            <dt>Visibility</dt>
            <dd>
              <label className="toggle">
                <input
                  type="checkbox"
                  role="switch"
                  checked={isPrivate}
                  disabled={setVisibility.isPending}
                  onChange={(event) =>
                    setVisibility.mutate({ id: props.id, visibility: event.target.checked ? "PRIVATE" : "PUBLIC" })
                  }
                />{" "}
                Private
              </label>
              {setVisibility.isError && <p role="alert">{describeError(setVisibility.error)}</p>}
            </dd>
          </div>
          <div>
            <dt>Size</dt>
            <dd>
              {size < 1000 ? (
                `${size} bytes`
              ) : (
                <>
                  {formatBytes(size)} <span className="muted">({formatCount(size)} bytes)</span>
                </>
              )}
            </dd>
          </div>
          <div>
            <dt>Dimensions</dt>
            <dd>
              {formatCount(width)} × {formatCount(height)} px
            </dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{contentType}</dd>
          </div>
          <div>
            <dt>Uploaded</dt>
            <dd>{formatDate(createdAt)}</dd>
          </div>
        </dl>
        <div className="actions">
          {status === "READY" && (
            <a className="button secondary" href={viewUrl} target="_blank" rel="noopener noreferrer">
              Open original
            </a>
          )}
          <ShareButton target={{ imageId: props.id }} name={filename} />
          <button
            type="button"
            className="danger"
            onClick={() => {
              remove.reset();
              setConfirming(true);
            }}
          >
            Delete
          </button>
        </div>
      </article>
      <ConfirmDialog
        open={confirming}
        title={`Delete ${filename}?`}
        confirmLabel="Delete image"
        busy={remove.isPending}
        error={remove.isError ? describeError(remove.error) : null}
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          deletedName.current = filename;
          remove.mutate({ id: props.id });
        }}
      >
        <p>The image and its link stop working for everyone at once. This cannot be undone.</p>
      </ConfirmDialog>
    </>
  );
}
