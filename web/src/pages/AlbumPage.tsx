import { useCallback, useEffect, useRef, useState } from "react";
import type { ImageFieldsFragment } from "../../../client/generated/graphql.js";
import { useAlbumQuery } from "../../../client/generated/react-query.js";
import { createAppClient } from "../api.js";
import { TileImage, TileState } from "../components/ImageTile.js";
import { describeError } from "../errors.js";

/**
 * How often the page asks again while its first page shows an image being processed: visitors have no live
 * subscription (that needs a login), and processing takes about a second.
 */
const PROCESSING_POLL_MS = 3000;

/**
 * The album page at /a/<id>: anyone may open a PUBLIC album here, no login needed; a share link of a private album
 * leads here with `?grant=`. Thumbnails, then a viewer with previous/next (buttons, arrow keys, Escape closes).
 */
export function AlbumPage(props: { id: string; grant: string | null }) {
  const album = useAlbumQuery(
    { id: props.id, grant: props.grant },
    {
      retry: false,
      refetchInterval: (query) =>
        query.state.data?.album?.images.nodes.some((image) => image.status === "PROCESSING")
          ? PROCESSING_POLL_MS
          : false,
    },
  );
  const [more, setMore] = useState<{ images: ImageFieldsFragment[]; endCursor: string | null; hasNext: boolean }>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [open, setOpen] = useState<number | null>(null);

  const data = album.data?.album;
  useEffect(() => {
    if (data) document.title = `${data.title} · ImageHost`;
  }, [data]);

  if (album.isPending) return <p role="status">Loading…</p>;
  if (album.isError || !data) {
    return (
      <section className="panel">
        <h1>Album not found</h1>
        <p>
          {album.isError
            ? describeError(album.error)
            : "There is no album here, or it is private. If someone shared it with you, ask them for a new link."}
        </p>
      </section>
    );
  }

  const images = [...data.images.nodes, ...(more?.images ?? [])];
  // The viewer steps through the images that have bytes to show (a PROCESSING link answers 503, a FAILED one 404).
  const viewable = images.filter((image) => image.status === "READY");
  const hasNext = more ? more.hasNext : data.images.pageInfo.hasNextPage;
  const loadMore = async () => {
    setLoadingMore(true);
    try {
      const after = more ? more.endCursor : data.images.pageInfo.endCursor;
      const page = await createAppClient().sdk.Album({ id: props.id, grant: props.grant, after });
      const next = page.album?.images;
      if (!next) return;
      setMore({
        images: [...(more?.images ?? []), ...next.nodes],
        endCursor: next.pageInfo.endCursor,
        hasNext: next.pageInfo.hasNextPage,
      });
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <article className="album-page">
      <header className="album-head">
        <h1>{data.title}</h1>
        {data.description ? <p className="album-description">{data.description}</p> : null}
        <p className="muted">
          {data.images.totalCount} {data.images.totalCount === 1 ? "image" : "images"}
        </p>
      </header>
      {images.length === 0 ? <p className="muted">This album is empty.</p> : null}
      <ul className="gallery album-grid" aria-label="Images">
        {images.map((image) => (
          <li key={image.id} className="thumb" data-status={image.status.toLowerCase()}>
            {image.status === "READY" ? (
              <button
                type="button"
                className="thumb-button"
                onClick={() => setOpen(viewable.indexOf(image))}
                aria-label={`Open ${image.filename}`}
              >
                <TileImage image={image} />
              </button>
            ) : (
              // No bytes to show yet (or ever): the viewer has nothing to open either.
              <TileState image={image} />
            )}
          </li>
        ))}
      </ul>
      {hasNext ? (
        <div className="more">
          <button type="button" className="secondary" disabled={loadingMore} onClick={() => void loadMore()}>
            {loadingMore ? "Loading…" : "Show more"}
          </button>
        </div>
      ) : null}
      {open !== null && viewable[open] ? (
        <Viewer images={viewable} index={open} onMove={setOpen} onClose={() => setOpen(null)} />
      ) : null}
    </article>
  );
}

function Viewer(props: { images: ImageFieldsFragment[]; index: number; onMove(index: number): void; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { images, index, onMove } = props;
  const image = images[index]!;
  const previous = useCallback(() => onMove((index - 1 + images.length) % images.length), [index, images, onMove]);
  const next = useCallback(() => onMove((index + 1) % images.length), [index, images, onMove]);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="viewer"
      aria-label={image.filename}
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
      onKeyDown={(event) => {
        if (event.key === "ArrowLeft") previous();
        if (event.key === "ArrowRight") next();
      }}
    >
      <figure>
        <img src={image.viewUrl} alt={image.filename} width={image.width} height={image.height} />
        <figcaption>
          {image.filename}{" "}
          <span className="muted">
            ({index + 1} of {images.length})
          </span>
        </figcaption>
      </figure>
      <div className="viewer-controls">
        <button type="button" className="secondary" onClick={previous} aria-label="Previous image">
          ← Previous
        </button>
        <button type="button" className="secondary" onClick={props.onClose} autoFocus>
          Close
        </button>
        <button type="button" className="secondary" onClick={next} aria-label="Next image">
          Next →
        </button>
      </div>
    </dialog>
  );
}
