import { useInfiniteQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import type { AlbumQuery, AlbumQueryVariables, ImageFieldsFragment } from "../../../client/generated/graphql.js";
import { useAlbumQuery } from "../../../client/generated/react-query.js";
import { useImageHostFetcher } from "../../../client/react.js";
import { TileImage, TileState } from "../components/ImageTile.js";
import { describeError } from "../errors.js";

/**
 * How often the page asks again while a page it shows holds an image being processed: visitors have no live
 * subscription (that needs a login), and processing takes about a second.
 */
const PROCESSING_POLL_MS = 3000;

const processing = (page: AlbumQuery) => page.album?.images.nodes.some((image) => image.status === "PROCESSING");

/**
 * The album page at /a/<id>: anyone may open a PUBLIC album here, no login needed; a share link of a private album
 * leads here with `?grant=`. Thumbnails, then a viewer with previous/next (buttons, arrow keys, Escape closes).
 * The pages shown ("Show more") are one query, so asking again while an image is processed asks for all of them.
 */
export function AlbumPage(props: { id: string; grant: string | null }) {
  const { id, grant } = props;
  const fetchAlbum = useImageHostFetcher<AlbumQuery, AlbumQueryVariables>(useAlbumQuery.document);
  const album = useInfiniteQuery({
    // Under the Album root, so the owner's live updates (web/src/live.ts) refresh this page too.
    queryKey: [useAlbumQuery.rootKey, "pages", { id, grant }],
    queryFn: ({ pageParam }) => fetchAlbum({ id, grant, after: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => {
      const pageInfo = last.album?.images.pageInfo;
      return pageInfo?.hasNextPage ? pageInfo.endCursor : null;
    },
    retry: false,
    refetchInterval: (query) => (query.state.data?.pages.some(processing) ? PROCESSING_POLL_MS : false),
  });
  const [open, setOpen] = useState<number | null>(null);

  const pages = album.data?.pages ?? [];
  const data = pages[0]?.album;
  useEffect(() => {
    if (data) document.title = `${data.title} · ImageHost`;
  }, [data]);

  if (album.isPending) return <p role="status">Loading…</p>;
  // A failed poll or "Show more" keeps what is shown; only a page that never loaded says so.
  if (!data) {
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

  const images = pages.flatMap((page) => page.album?.images.nodes ?? []);
  // The viewer steps through the images that have bytes to show (a PROCESSING link answers 503, a FAILED one 404).
  const viewable = images.filter((image) => image.status === "READY");

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
      {album.hasNextPage ? (
        <div className="more">
          <button
            type="button"
            className="secondary"
            disabled={album.isFetchingNextPage}
            onClick={() => void album.fetchNextPage()}
          >
            {album.isFetchingNextPage ? "Loading…" : "Show more"}
          </button>
          {album.isFetchNextPageError ? <p role="alert">{describeError(album.error)}</p> : null}
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
