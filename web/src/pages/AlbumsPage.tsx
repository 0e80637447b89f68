import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import type { AlbumFieldsFragment, Visibility } from "../../../client/generated/graphql.js";
import {
  useCreateAlbumMutation,
  useDeleteAlbumMutation,
  useMyAlbumsQuery,
} from "../../../client/generated/react-query.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { SmallThumb } from "../components/SmallThumb.js";
import { describeError } from "../errors.js";
import { formatCount, formatDate } from "../format.js";
import { showNotice } from "../notice.js";
import { linkHandler, navigate } from "../router.js";
import "../albums.css";

const PAGE_SIZE = 20;

/** Your albums: create one, open one to edit it, delete one (its images stay). */
export function AlbumsPage() {
  const queryClient = useQueryClient();
  // One myAlbums query per page, each after the end cursor of the one before: keyset cursors stay valid when an
  // album before them is deleted, so a refetch after a change keeps every page in place.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<AlbumFieldsFragment | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: [useMyAlbumsQuery.rootKey] });
  const remove = useDeleteAlbumMutation({
    onSuccess: () => {
      showNotice(`Deleted the album ${deleting?.title ?? ""}. Its images are still in your gallery.`);
      setDeleting(null);
      void refresh();
    },
  });

  return (
    <>
      <CreateAlbum />
      <section className="panel" aria-labelledby="albums-heading">
        <h1 id="albums-heading">
          Your albums{total === null ? null : <span className="count"> ({formatCount(total)})</span>}
        </h1>
        {total === 0 ? <p className="empty">No albums yet. Create one above, then add images to it.</p> : null}
        <ul className="album-list" aria-label="Your albums">
          {cursors.map((after, index) => (
            <AlbumsPageChunk
              key={after ?? ""}
              after={after}
              onInfo={(info) => {
                if (index === 0) setTotal(info.totalCount);
                if (index === cursors.length - 1) setNextCursor(info.hasNextPage ? info.endCursor : null);
              }}
              onDelete={(album) => {
                remove.reset();
                setDeleting(album);
              }}
            />
          ))}
        </ul>
        {nextCursor !== null ? (
          <div className="more">
            <button
              type="button"
              className="secondary"
              onClick={() => {
                // Until the new page reports its own end, there is nothing more to ask for.
                setNextCursor(null);
                setCursors([...cursors, nextCursor]);
              }}
            >
              Show more albums
            </button>
          </div>
        ) : null}
      </section>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the album ${deleting?.title ?? ""}?`}
        confirmLabel="Delete album"
        busy={remove.isPending}
        error={remove.isError ? describeError(remove.error) : null}
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
      >
        <p>The album, its page and its share links stop working. The images stay in your gallery.</p>
      </ConfirmDialog>
    </>
  );
}

interface ChunkInfo {
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

function AlbumsPageChunk(props: {
  after: string | null;
  onInfo(info: ChunkInfo): void;
  onDelete(album: AlbumFieldsFragment): void;
}) {
  const page = useMyAlbumsQuery({ first: PAGE_SIZE, after: props.after });
  const data = page.data?.myAlbums;
  // The parent's callback is a new closure on every render: report when the page's data changes, not then.
  const onInfo = useRef(props.onInfo);
  onInfo.current = props.onInfo;
  useEffect(() => {
    if (data) onInfo.current({ totalCount: data.totalCount, ...data.pageInfo });
  }, [data]);
  if (page.isPending) return <li className="gallery-status">Loading…</li>;
  if (page.isError) return <li className="gallery-status error-text">{describeError(page.error)}</li>;
  return page.data.myAlbums.nodes.map((album) => {
    const href = `/albums/${album.id}`;
    return (
      <li key={album.id} className="album-row">
        {album.cover ? (
          <SmallThumb image={album.cover} />
        ) : (
          <span className="small-thumb small-thumb-state">Empty</span>
        )}
        <span className="album-row-text">
          <a href={href} onClick={linkHandler(href)} className="album-row-title">
            {album.title}
          </a>
          <span className="muted">
            {album.visibility === "PRIVATE" ? "Private" : "Public"} · created {formatDate(album.createdAt)}
          </span>
        </span>
        <span className="album-row-actions">
          <a
            className="button secondary small"
            href={href}
            onClick={linkHandler(href)}
            aria-label={`Edit ${album.title}`}
          >
            Edit
          </a>
          <button
            type="button"
            className="danger small"
            aria-label={`Delete ${album.title}`}
            onClick={() => props.onDelete(album)}
          >
            Delete
          </button>
        </span>
      </li>
    );
  });
}

function CreateAlbum() {
  const queryClient = useQueryClient();
  const ids = useId();
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [visibility, setVisibility] = useState<Visibility>("PRIVATE");
  const create = useCreateAlbumMutation({
    onSuccess: (data) => {
      void queryClient.invalidateQueries({ queryKey: [useMyAlbumsQuery.rootKey] });
      showNotice(`Created the album ${data.createAlbum.title}.`);
      navigate(`/albums/${data.createAlbum.id}`);
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({
      input: { title: title.trim(), description: description.trim() === "" ? null : description.trim(), visibility },
    });
  };
  return (
    <section className="panel" aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>New album</h2>
      <form onSubmit={onSubmit} className="album-form">
        <AlbumFields
          ids={ids}
          title={title}
          description={description}
          visibility={visibility}
          onTitle={setTitle}
          onDescription={setDescription}
          onVisibility={setVisibility}
        />
        {create.isError ? (
          <p className="error-text" role="alert">
            {describeError(create.error)}
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={create.isPending || title.trim() === ""}>
            {create.isPending ? "Creating…" : "Create album"}
          </button>
        </div>
      </form>
    </section>
  );
}

/** Title, description and visibility: the same fields for creating and for editing an album. */
export function AlbumFields(props: {
  ids: string;
  title: string;
  description: string;
  visibility: Visibility;
  onTitle(value: string): void;
  onDescription(value: string): void;
  onVisibility(value: Visibility): void;
}) {
  const { ids } = props;
  return (
    <>
      <div className="field">
        <label htmlFor={`${ids}-title`}>Title</label>
        <input
          id={`${ids}-title`}
          type="text"
          required
          maxLength={200}
          value={props.title}
          onChange={(event) => props.onTitle(event.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${ids}-description`}>Description (optional)</label>
        <textarea
          id={`${ids}-description`}
          rows={3}
          maxLength={2000}
          value={props.description}
          onChange={(event) => props.onDescription(event.target.value)}
        />
      </div>
      <fieldset className="field visibility-choice">
        <legend>Who can see it</legend>
        <label>
          <input
            type="radio"
            name={`${ids}-visibility`}
            checked={props.visibility === "PRIVATE"}
            onChange={() => props.onVisibility("PRIVATE")}
          />{" "}
          Private: only you, and people you give a share link
        </label>
        <label>
          <input
            type="radio"
            name={`${ids}-visibility`}
            checked={props.visibility === "PUBLIC"}
            onChange={() => props.onVisibility("PUBLIC")}
          />{" "}
          Public: anyone with the album’s address, private images in it included
        </label>
      </fieldset>
    </>
  );
}
