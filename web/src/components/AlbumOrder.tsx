import { type DragEvent, type KeyboardEvent, useLayoutEffect, useRef, useState } from "react";
import type { ImageFieldsFragment } from "../../../client/generated/graphql.js";
import { SmallThumb } from "./SmallThumb.js";
import "../albums.css";

type Control = "earlier" | "later" | "remove";

/**
 * The album's images in order, to rearrange by dragging, by the move buttons, or with Alt+Arrow keys on any of an
 * image's buttons (Left/Up earlier, Right/Down later, Home/End to either end with Alt). Each move is reported with
 * the whole new order; the list shows it at once and says what moved in a live region.
 */
export function AlbumOrder(props: {
  images: ImageFieldsFragment[];
  removing: string | null;
  onReorder(imageIds: string[]): void;
  onRemove(image: ImageFieldsFragment): void;
}) {
  const [local, setLocal] = useState<string[] | null>(null);
  const [dragging, setDragging] = useState<string | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const listRef = useRef<HTMLOListElement>(null);
  const refocus = useRef<{ id: string; control: Control } | null>(null);

  // Our own order until the set of images changes (an add or a remove): then the server's order is the truth.
  const byId = new Map(props.images.map((image) => [image.id, image]));
  const ownOrder = local !== null && local.length === byId.size && local.every((id) => byId.has(id));
  const shown = ownOrder ? local.map((id) => byId.get(id)!) : props.images;

  // React moves list items with insertBefore, which drops the focus: put it back on the same control.
  useLayoutEffect(() => {
    const target = refocus.current;
    if (!target) return;
    refocus.current = null;
    listRef.current
      ?.querySelector<HTMLElement>(`[data-id="${CSS.escape(target.id)}"] [data-control="${target.control}"]`)
      ?.focus();
  });

  const move = (from: number, to: number, control?: Control) => {
    if (to < 0 || to >= shown.length || from === to) return;
    const ids = shown.map((image) => image.id);
    const [id] = ids.splice(from, 1);
    ids.splice(to, 0, id!);
    setLocal(ids);
    if (control) refocus.current = { id: id!, control };
    setAnnouncement(`Moved ${shown[from]!.filename} to position ${to + 1} of ${ids.length}.`);
    props.onReorder(ids);
  };

  const onKeyDown = (event: KeyboardEvent, index: number) => {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const target = {
      ArrowLeft: index - 1,
      ArrowUp: index - 1,
      ArrowRight: index + 1,
      ArrowDown: index + 1,
      Home: 0,
      End: shown.length - 1,
    }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const control = (event.target as HTMLElement).dataset.control as Control | undefined;
    move(index, target, control ?? "earlier");
  };

  const dragProps = (image: ImageFieldsFragment, index: number) => ({
    draggable: true,
    onDragStart: (event: DragEvent) => {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", image.id);
      setDragging(image.id);
    },
    onDragOver: (event: DragEvent) => {
      if (dragging === null) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      setOver(image.id);
    },
    onDrop: (event: DragEvent) => {
      event.preventDefault();
      const from = shown.findIndex((candidate) => candidate.id === dragging);
      if (from >= 0) move(from, index);
      setDragging(null);
      setOver(null);
    },
    onDragEnd: () => {
      setDragging(null);
      setOver(null);
    },
  });

  return (
    <>
      <p id="album-order-hint" className="hint">
        Drag an image to move it, use its arrow buttons, or press Alt with an arrow key on one of its buttons.
      </p>
      <ol ref={listRef} className="album-order" aria-label="Images in this album" aria-describedby="album-order-hint">
        {shown.map((image, index) => (
          <li
            key={image.id}
            data-id={image.id}
            className="order-item"
            data-dragging={dragging === image.id || undefined}
            data-over={(over === image.id && dragging !== image.id) || undefined}
            onKeyDown={(event) => onKeyDown(event, index)}
            {...dragProps(image, index)}
          >
            <SmallThumb image={image} />
            <span className="order-text">
              <span className="order-position">{index + 1}.</span> <span className="order-name">{image.filename}</span>
              {image.visibility === "PRIVATE" ? <span className="badge">Private</span> : null}
            </span>
            <span className="order-buttons">
              <button
                type="button"
                className="secondary small"
                data-control="earlier"
                aria-label={`Move ${image.filename} earlier`}
                // aria-disabled, not disabled: a disabled button loses the focus the keyboard user is moving with.
                aria-disabled={index === 0}
                onClick={() => move(index, index - 1, "earlier")}
              >
                ←
              </button>
              <button
                type="button"
                className="secondary small"
                data-control="later"
                aria-label={`Move ${image.filename} later`}
                aria-disabled={index === shown.length - 1}
                onClick={() => move(index, index + 1, "later")}
              >
                →
              </button>
              <button
                type="button"
                className="danger small"
                data-control="remove"
                aria-label={`Remove ${image.filename} from the album`}
                disabled={props.removing === image.id}
                onClick={() => props.onRemove(image)}
              >
                {props.removing === image.id ? "Removing…" : "Remove"}
              </button>
            </span>
          </li>
        ))}
      </ol>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
    </>
  );
}
