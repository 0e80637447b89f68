import { keepPreviousData } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { useMyImagesQuery } from "../../../client/generated/react-query.js";
import { describeError } from "../errors.js";
import { formatCount } from "../format.js";
import { ImageTile } from "./ImageTile.js";

const PAGE_SIZE = 24;

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

/**
 * The user's images, newest first, a page at a time ("Load more"). Each page is one `myImages` query whose cursor is
 * the live end cursor of the page before it, so after an upload or a delete every page refetches from the right
 * place and nothing is skipped or shown twice.
 */
export function Gallery() {
  const [pageCount, setPageCount] = useState(1);
  const [infos, setInfos] = useState<(PageInfo | undefined)[]>([]);
  const report = useCallback((index: number, info: PageInfo) => {
    setInfos((previous) => {
      const old = previous[index];
      if (
        old &&
        old.hasNextPage === info.hasNextPage &&
        old.endCursor === info.endCursor &&
        old.totalCount === info.totalCount
      )
        return previous;
      const next = [...previous];
      next[index] = info;
      return next;
    });
  }, []);

  const cursors: (string | null)[] = [null];
  while (cursors.length < pageCount) {
    const previous = infos[cursors.length - 1];
    if (!previous?.hasNextPage || previous.endCursor === null) break;
    cursors.push(previous.endCursor);
  }
  const first = infos[0];
  const last = infos[cursors.length - 1];

  return (
    <section className="panel" aria-labelledby="gallery-heading">
      <h2 id="gallery-heading">
        Your images{first ? <span className="count"> ({formatCount(first.totalCount)})</span> : null}
      </h2>
      {first && first.totalCount === 0 ? (
        <p className="empty">No images yet. Upload some above: they will show up here, newest first.</p>
      ) : null}
      <ul className="gallery" aria-label="Your images">
        {cursors.map((after, index) => (
          <GalleryPage key={index} index={index} after={after} onInfo={report} />
        ))}
      </ul>
      {last?.hasNextPage && cursors.length === pageCount ? (
        <div className="more">
          <button type="button" className="secondary" onClick={() => setPageCount((count) => count + 1)}>
            Load more
          </button>
        </div>
      ) : null}
    </section>
  );
}

function GalleryPage(props: { index: number; after: string | null; onInfo(index: number, info: PageInfo): void }) {
  const { index, after, onInfo } = props;
  const page = useMyImagesQuery({ first: PAGE_SIZE, after }, { placeholderData: keepPreviousData });
  const data = page.data?.myImages;
  useEffect(() => {
    if (data)
      onInfo(index, {
        hasNextPage: data.pageInfo.hasNextPage,
        endCursor: data.pageInfo.endCursor,
        totalCount: data.totalCount,
      });
  }, [data, index, onInfo]);

  if (page.isPending) {
    return (
      <li className="gallery-status" role="status">
        Loading images…
      </li>
    );
  }
  if (page.isError) {
    return (
      <li className="gallery-status" role="alert">
        <span className="error-text">{describeError(page.error)}</span>{" "}
        <button type="button" className="secondary" onClick={() => void page.refetch()}>
          Try again
        </button>
      </li>
    );
  }
  return (
    <>
      {page.data.myImages.edges.map(({ node }) => (
        <ImageTile key={node.id} image={node} />
      ))}
    </>
  );
}
