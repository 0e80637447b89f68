import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useRef, useState } from "react";
import type {
  AlbumFieldsFragment,
  AlbumQuery,
  AlbumQueryVariables,
  ImageFieldsFragment,
  Visibility,
} from "../../../client/generated/graphql.js";
import {
  useAddToAlbumMutation,
  useAlbumQuery,
  useMyAlbumsQuery,
  useRemoveFromAlbumMutation,
  useReorderAlbumMutation,
  useUpdateAlbumMutation,
} from "../../../client/generated/react-query.js";
import { useImageHostFetcher } from "../../../client/react.js";
import { AlbumOrder } from "../components/AlbumOrder.js";
import { ImagePicker } from "../components/ImagePicker.js";
import { ShareButton } from "../components/ShareDialog.js";
import { describeError } from "../errors.js";
import { useFocusReturn } from "../focus-return.js";
import { formatCount } from "../format.js";
import { showNotice } from "../notice.js";
import { linkHandler } from "../router.js";
import { AlbumFields } from "./AlbumsPage.js";
import "../albums.css";

/** The server's page limit; an album holds at most 1,000 images, so at most ten pages. */
const PAGE = 100;
/** addToAlbum takes at most this many ids per call. */
const IDS_PER_CALL = 100;

/** The editor's query: every image of one album (see loadAlbum); live updates refresh it too. */
export const ALBUM_EDITOR_ROOT_KEY = "AlbumEditor";
const editorKey = (id: string) => [ALBUM_EDITOR_ROOT_KEY, id];

/**
 * Every image of the album: reordering sends the whole order, so the editor needs all of them, not a page.
 * Null when the album does not exist or is not the viewer's to see.
 */
async function loadAlbum(fetchAlbum: (variables: AlbumQueryVariables) => Promise<AlbumQuery>, id: string) {
  const first = (await fetchAlbum({ id, first: PAGE })).album;
  if (!first) return null;
  const images = [...first.images.nodes];
  let pageInfo = first.images.pageInfo;
  while (pageInfo.hasNextPage && pageInfo.endCursor !== null) {
    const next = (await fetchAlbum({ id, first: PAGE, after: pageInfo.endCursor })).album;
    if (!next) break;
    images.push(...next.images.nodes);
    pageInfo = next.images.pageInfo;
  }
  const album: AlbumFieldsFragment = {
    id: first.id,
    title: first.title,
    description: first.description,
    visibility: first.visibility,
    createdAt: first.createdAt,
    url: first.url,
    cover: first.cover,
  };
  return { album, images };
}

/** One album to edit: its details, its images (add, remove, reorder), its public page and share links. */
export function AlbumEditPage(props: { id: string }) {
  const queryClient = useQueryClient();
  // The Album hook's document, through the hooks' client: the editor reads every page of it (loadAlbum).
  const fetchAlbum = useImageHostFetcher<AlbumQuery, AlbumQueryVariables>(useAlbumQuery.document);
  const loaded = useQuery({ queryKey: editorKey(props.id), queryFn: () => loadAlbum(fetchAlbum, props.id) });
  const [picking, setPicking] = useState(false);
  const addButton = useFocusReturn<HTMLButtonElement>(picking);
  const closePicker = () => setPicking(false);
  // Reorders go one after another, so the server ends with the last order shown even when keys are pressed fast.
  const reorders = useRef(Promise.resolve());
  const [orderError, setOrderError] = useState<string | null>(null);

  const changed = () => {
    void queryClient.invalidateQueries({ queryKey: editorKey(props.id) });
    void queryClient.invalidateQueries({ queryKey: [useMyAlbumsQuery.rootKey] });
    void queryClient.invalidateQueries({ queryKey: [useAlbumQuery.rootKey] });
  };
  const add = useAddToAlbumMutation();
  const saveOrder = useReorderAlbumMutation();
  const remove = useRemoveFromAlbumMutation({
    onSuccess: (_data, variables) => {
      const name = loaded.data?.images.find((image) => image.id === variables.imageIds[0])?.filename ?? "the image";
      showNotice(`Removed ${name} from the album. It is still in your gallery.`);
      changed();
    },
  });

  const back = (
    <p className="back">
      <a href="/albums" onClick={linkHandler("/albums")}>
        ← All albums
      </a>
    </p>
  );
  if (loaded.isPending) return back;
  if (loaded.isError || loaded.data === null) {
    return (
      <>
        {back}
        <section className="panel">
          <h1>Album not found</h1>
          <p>{loaded.isError ? describeError(loaded.error) : "There is no album here: it may have been deleted."}</p>
        </section>
      </>
    );
  }
  const { album, images } = loaded.data;

  const reorder = (imageIds: string[]) => {
    setOrderError(null);
    reorders.current = reorders.current.then(async () => {
      try {
        await saveOrder.mutateAsync({ albumId: album.id, imageIds });
        void queryClient.invalidateQueries({ queryKey: [useAlbumQuery.rootKey] });
      } catch (error) {
        setOrderError(describeError(error));
        changed();
      }
    });
  };
  const addImages = async (imageIds: string[]) => {
    for (let start = 0; start < imageIds.length; start += IDS_PER_CALL)
      await add.mutateAsync({ albumId: album.id, imageIds: imageIds.slice(start, start + IDS_PER_CALL) });
    showNotice(`Added ${formatCount(imageIds.length)} ${imageIds.length === 1 ? "image" : "images"} to the album.`);
    closePicker();
    changed();
  };

  return (
    <>
      {back}
      <AlbumDetails key={`${album.title}\n${album.description}\n${album.visibility}`} album={album} onSaved={changed} />
      <section className="panel" aria-labelledby="album-images-heading">
        <div className="section-head">
          <h2 id="album-images-heading">
            Images <span className="count">({formatCount(images.length)})</span>
          </h2>
          <button
            ref={addButton}
            type="button"
            className="primary"
            aria-haspopup="dialog"
            onClick={() => {
              add.reset();
              setPicking(true);
            }}
          >
            Add images…
          </button>
        </div>
        {images.length === 0 ? <p className="empty">No images yet: add some from your gallery.</p> : null}
        {orderError ? (
          <p className="error-text" role="alert">
            The order was not saved: {orderError}
          </p>
        ) : null}
        {remove.isError ? (
          <p className="error-text" role="alert">
            {describeError(remove.error)}
          </p>
        ) : null}
        <AlbumOrder
          images={images}
          removing={remove.isPending ? (remove.variables.imageIds[0] ?? null) : null}
          onReorder={reorder}
          onRemove={(image: ImageFieldsFragment) => remove.mutate({ albumId: album.id, imageIds: [image.id] })}
        />
      </section>
      {picking ? (
        <ImagePicker
          title={`Add images to ${album.title}`}
          exclude={new Set(images.map((image) => image.id))}
          busy={add.isPending}
          error={add.isError ? describeError(add.error) : null}
          onPick={(ids) => void addImages(ids).catch(() => changed())}
          onCancel={closePicker}
        />
      ) : null}
    </>
  );
}

/** Title, description, visibility (saved together), the album's page and its share links. */
function AlbumDetails(props: { album: AlbumFieldsFragment; onSaved(): void }) {
  const ids = useId();
  const { album } = props;
  const [title, setTitle] = useState(album.title);
  const [description, setDescription] = useState(album.description ?? "");
  const [visibility, setVisibility] = useState<Visibility>(album.visibility);
  const update = useUpdateAlbumMutation({
    onSuccess: () => {
      showNotice("Saved the album.");
      props.onSaved();
    },
  });
  const dirty = title !== album.title || description !== (album.description ?? "") || visibility !== album.visibility;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({
      id: album.id,
      input: { title: title.trim(), description: description.trim() === "" ? null : description.trim(), visibility },
    });
  };
  return (
    <section className="panel" aria-labelledby={`${ids}-heading`}>
      <h1 id={`${ids}-heading`}>{album.title}</h1>
      <div className="actions album-links">
        <a className="button secondary" href={album.url} target="_blank" rel="noopener noreferrer">
          Open album page
        </a>
        <ShareButton target={{ albumId: album.id }} name={album.title} />
      </div>
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
        {update.isError ? (
          <p className="error-text" role="alert">
            {describeError(update.error)}
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={update.isPending || !dirty || title.trim() === ""}>
            {update.isPending ? "Saving…" : "Save changes"}
          </button>
        </div>
      </form>
    </section>
  );
}
