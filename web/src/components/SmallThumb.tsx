import type { ImageFieldsFragment } from "../../../client/generated/graphql.js";
import "../albums.css";

/**
 * A square thumbnail for the album editor and the picker: the smallest thumbnail of the pipeline, else the image
 * itself through `viewUrl` (a private image's `url` answers 404, even to its owner), and a word while there are no
 * bytes to show (PROCESSING answers 503, FAILED 404). Decorative (`alt=""`): the file name is always beside it.
 */
export function SmallThumb({ image }: { image: ImageFieldsFragment }) {
  if (image.status !== "READY") {
    return (
      <span className="small-thumb small-thumb-state">{image.status === "FAILED" ? "Failed" : "Processing…"}</span>
    );
  }
  return (
    <img
      className="small-thumb"
      src={image.variants[0]?.url ?? image.viewUrl}
      alt=""
      loading="lazy"
      decoding="async"
      width={image.width}
      height={image.height}
      draggable={false}
    />
  );
}
