import { useState } from "react";
import type { ImageFieldsFragment } from "../../../client/generated/graphql.js";
import { formatBytes } from "../format.js";
import { srcSetOf, usePlaceholderStyle } from "../image-display.js";
import { linkHandler } from "../router.js";

/**
 * The tile's rendered width, for `sizes`: two columns (45 % each) on phones, otherwise at most ~13rem (the grid's
 * 10rem minimum stretched to fill a row; see `.gallery` in styles/gallery.css). Too big is harmless, too small blurs.
 */
const TILE_SIZES = "(max-width: 40rem) 50vw, 13rem";

/** What a failed image says when the server gave no reason. */
const NO_REASON = "Processing failed.";

/** One gallery tile: the thumbnail once the image is READY, otherwise what the pipeline is doing with it. */
export function ImageTile({ image }: { image: ImageFieldsFragment }) {
  const href = `/images/${image.id}`;
  return (
    <li className="thumb" data-status={image.status.toLowerCase()}>
      <a href={href} onClick={linkHandler(href)}>
        {image.status === "READY" ? <TileImage image={image} /> : <TileState image={image} />}
        <span className="thumb-caption">
          <span className="thumb-name">{image.filename}</span>
          {image.visibility === "PRIVATE" && <span className="badge">Private</span>}
          <span className="thumb-meta">
            {image.width} × {image.height} · {formatBytes(image.size)}
          </span>
        </span>
      </a>
    </li>
  );
}

/** A READY image's thumbnail for a grid tile (the gallery's, an album page's), its ThumbHash painted meanwhile. */
export function TileImage({ image }: { image: ImageFieldsFragment }) {
  const [loaded, setLoaded] = useState(false);
  const placeholder = usePlaceholderStyle(image.placeholder, loaded);
  const srcSet = srcSetOf(image.variants);
  // Images from before the pipeline have no thumbnails: the image itself (viewUrl, so a private one loads too).
  const src = image.variants[0]?.url ?? image.viewUrl;
  return (
    <img
      src={src}
      srcSet={srcSet ?? undefined}
      sizes={srcSet === null ? undefined : TILE_SIZES}
      alt={image.filename}
      loading="lazy"
      decoding="async"
      width={image.width}
      height={image.height}
      className={placeholder ? "has-placeholder" : undefined}
      style={placeholder}
      onLoad={() => setLoaded(true)}
    />
  );
}

/** PROCESSING or FAILED: nothing to load yet (the link would answer 503) or ever (404). */
export function TileState({ image }: { image: ImageFieldsFragment }) {
  if (image.status === "FAILED") {
    const reason = image.failureReason ?? NO_REASON;
    return (
      <span className="thumb-state thumb-failed" title={reason}>
        <span className="thumb-state-label">Failed</span>
        <span className="thumb-state-reason">{reason}</span>
      </span>
    );
  }
  return (
    <span className="thumb-state thumb-processing">
      <span className="thumb-state-label">Processing…</span>
    </span>
  );
}
