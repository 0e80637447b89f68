import { useEffect, useId, useRef, useState } from "react";
import { useMyImagesQuery } from "../../../client/generated/react-query.js";
import { describeError } from "../errors.js";
import { formatCount } from "../format.js";
import { SmallThumb } from "./SmallThumb.js";
import "../albums.css";

const PAGE_SIZE = 48;

/**
 * A modal list of your images to tick several of (Space on each checkbox, or clicks), newest first, a page at a
 * time. Images already in the album are shown, ticked and disabled, so the grid matches the gallery.
 */
export function ImagePicker(props: {
  title: string;
  exclude: ReadonlySet<string>;
  busy: boolean;
  error: string | null;
  onPick(imageIds: string[]): void;
  onCancel(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [next, setNext] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [picked, setPicked] = useState<string[]>([]);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const toggle = (id: string, on: boolean) =>
    setPicked((previous) => (on ? [...previous, id] : previous.filter((other) => other !== id)));

  return (
    <dialog
      ref={ref}
      className="confirm picker"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!props.busy) props.onCancel();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      <p className="muted" role="status">
        {picked.length === 0 ? "None selected" : `${formatCount(picked.length)} selected`}
        {total === null ? "" : ` · ${formatCount(total)} in your gallery`}
      </p>
      <ul className="picker-grid" aria-label="Your images to choose from">
        {cursors.map((after, index) => (
          <PickerPage
            key={after ?? ""}
            after={after}
            exclude={props.exclude}
            picked={picked}
            onToggle={toggle}
            onInfo={(count, hasNext, endCursor) => {
              if (index === 0) setTotal(count);
              if (index === cursors.length - 1) setNext(hasNext ? endCursor : null);
            }}
          />
        ))}
      </ul>
      {next !== null ? (
        <div className="more">
          <button
            type="button"
            className="secondary"
            onClick={() => {
              // Until the new page reports its own end, there is nothing more to ask for.
              setNext(null);
              setCursors([...cursors, next]);
            }}
          >
            Show more images
          </button>
        </div>
      ) : null}
      {props.error ? (
        <p className="error-text" role="alert">
          {props.error}
        </p>
      ) : null}
      <div className="actions picker-actions">
        <button type="button" className="secondary" onClick={props.onCancel} disabled={props.busy}>
          Cancel
        </button>
        <button
          type="button"
          className="primary"
          disabled={props.busy || picked.length === 0}
          onClick={() => props.onPick(picked)}
        >
          {props.busy
            ? "Adding…"
            : `Add ${picked.length === 0 ? "" : `${formatCount(picked.length)} `}${picked.length === 1 ? "image" : "images"}`}
        </button>
      </div>
    </dialog>
  );
}

function PickerPage(props: {
  after: string | null;
  exclude: ReadonlySet<string>;
  picked: string[];
  onToggle(id: string, on: boolean): void;
  onInfo(totalCount: number, hasNextPage: boolean, endCursor: string | null): void;
}) {
  const page = useMyImagesQuery({ first: PAGE_SIZE, after: props.after });
  const data = page.data?.myImages;
  // Reported when the page's data changes; the callback itself is a new closure on every render.
  const onInfo = useRef(props.onInfo);
  onInfo.current = props.onInfo;
  useEffect(() => {
    if (data) onInfo.current(data.totalCount, data.pageInfo.hasNextPage, data.pageInfo.endCursor);
  }, [data]);

  if (page.isPending) return <li className="gallery-status">Loading…</li>;
  if (page.isError) return <li className="gallery-status error-text">{describeError(page.error)}</li>;
  return page.data.myImages.edges.map(({ node: image }) => {
    const inAlbum = props.exclude.has(image.id);
    return (
      <li key={image.id} className="pick">
        <label>
          <input
            type="checkbox"
            checked={inAlbum || props.picked.includes(image.id)}
            disabled={inAlbum}
            onChange={(event) => props.onToggle(image.id, event.target.checked)}
          />
          <SmallThumb image={image} />
          <span className="pick-name">{image.filename}</span>
          {inAlbum ? <span className="badge">In the album</span> : null}
        </label>
      </li>
    );
  });
}
