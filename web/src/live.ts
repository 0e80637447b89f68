/**
 * Live updates for the signed-in user (issue 14): one `imageEvents` subscription per tab, over the WebSocket at
 * /graphql, authenticated by the session cookie (this page is on PUBLIC_URL's origin). Each event refreshes what
 * the tab shows: the gallery pages and the image's own page. Events are not replayed, so after a reconnect every
 * image query is refetched.
 */
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import type { ImageFieldsFragment, ImageQuery, MyImagesQuery } from "../../client/generated/graphql.js";
import type { ImageEvent } from "../../client/live.js";
import {
  useAlbumQuery,
  useImageQuery,
  useMyAlbumsQuery,
  useMyImagesQuery,
} from "../../client/generated/react-query.js";
import { useImageHostClient } from "../../client/react.js";
import { ALBUM_EDITOR_ROOT_KEY } from "./pages/AlbumEditPage.js";

export function useLiveImageEvents(userId: string): void {
  const client = useImageHostClient();
  const queryClient = useQueryClient();
  useEffect(() => {
    const controller = new AbortController();
    client.imageEvents({
      signal: controller.signal,
      onEvent: (event) => applyEvent(queryClient, event),
      onConnected: (reconnected) => {
        if (reconnected) void queryClient.invalidateQueries({ predicate: (q) => isImageQuery(q.queryKey) });
      },
      // The credential was refused: the session ended; the next query's UNAUTHENTICATED shows the login.
      onError: () => void queryClient.invalidateQueries(),
    });
    return () => controller.abort();
  }, [client, queryClient, userId]);
}

function applyEvent(queryClient: QueryClient, event: ImageEvent): void {
  const key = useImageQuery.getKey({ id: event.imageId });
  const image = event.image;
  if (event.kind === "DELETED") queryClient.setQueryData(key, { image: null });
  else if (image) {
    // The event carries the image as it is now: a PROCESSING tile or page turns READY or FAILED at once, without
    // waiting for a refetch. The invalidations below still run: they cancel a refetch that started before the
    // event (whose answer would put PROCESSING back) and bring in what the event cannot (a new image's place).
    queryClient.setQueryData<ImageQuery>(key, (old) => (old === undefined ? old : { image }));
    queryClient.setQueriesData<MyImagesQuery>({ queryKey: [useMyImagesQuery.rootKey] }, (old) =>
      old === undefined ? old : replaceNode(old, image),
    );
    void queryClient.invalidateQueries({ queryKey: key });
  }
  void queryClient.invalidateQueries({ queryKey: [useMyImagesQuery.rootKey] });
  // Albums show the image too (their covers, the editor): processing turns ready or failed there, a deleted one
  // leaves. A new image is in no album yet.
  if (event.kind !== "CREATED") void queryClient.invalidateQueries({ predicate: (q) => isAlbumQuery(q.queryKey) });
}

function replaceNode(page: MyImagesQuery, image: ImageFieldsFragment): MyImagesQuery {
  const edges = page.myImages.edges;
  if (!edges.some((edge) => edge.node.id === image.id)) return page;
  return {
    myImages: {
      ...page.myImages,
      edges: edges.map((edge) => (edge.node.id === image.id ? { ...edge, node: image } : edge)),
    },
  };
}

function isImageQuery(key: readonly unknown[]): boolean {
  const root = key[0];
  return root === useMyImagesQuery.rootKey || root === useImageQuery.rootKey || isAlbumQuery(key);
}

function isAlbumQuery(key: readonly unknown[]): boolean {
  const root = key[0];
  return root === useMyAlbumsQuery.rootKey || root === useAlbumQuery.rootKey || root === ALBUM_EDITOR_ROOT_KEY;
}
