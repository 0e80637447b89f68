import { useState } from "react";
import type { ImageFieldsFragment } from "../../../client/generated/graphql.js";
import { usePlaceholderStyle } from "../image-display.js";

/**
 * The picture on an image's page: the image itself once READY (its ThumbHash painted until it has loaded), a
 * processing or failed notice before that. Only READY loads anything: the link answers 503 while PROCESSING and
 * 404 once FAILED, and the browser would log both.
 */
export function ImageFigure({ image }: { image: ImageFieldsFragment }) {
  if (image.status === "READY") return <ReadyFigure image={image} />;
  if (image.status === "FAILED") {
    return (
      <figure className="image-state image-failed" data-status="failed">
        <p className="image-state-label">Processing failed</p>
        <p className="image-state-reason">{image.failureReason ?? "The image could not be processed."}</p>
        <p className="muted">It is not served. Delete it and upload the picture again, perhaps in another format.</p>
      </figure>
    );
  }
  return (
    <figure className="image-state image-processing" data-status="processing" role="status">
      <p className="image-state-label">Processing…</p>
      <p className="muted">The image is being prepared; it appears here as soon as it is ready.</p>
    </figure>
  );
}

function ReadyFigure({ image }: { image: ImageFieldsFragment }) {
  const [loaded, setLoaded] = useState(false);
  const placeholder = usePlaceholderStyle(image.placeholder, loaded);
  // viewUrl, not url: for a private image only viewUrl (with its grant) loads.
  return (
    <figure data-status="ready">
      <a href={image.viewUrl} target="_blank" rel="noopener noreferrer">
        <img
          src={image.viewUrl}
          alt={image.filename}
          width={image.width}
          height={image.height}
          className={placeholder ? "has-placeholder" : undefined}
          style={placeholder}
          onLoad={() => setLoaded(true)}
        />
      </a>
    </figure>
  );
}
