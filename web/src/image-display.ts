/**
 * How the web app shows an image of the pipeline (issue 13): only a READY image has bytes to load (its link
 * answers 503 while PROCESSING and 404 once FAILED), its thumbnails come as `variants`, and its ThumbHash is
 * painted while they load.
 */
import { useMemo } from "react";
import { thumbHashToDataURL } from "thumbhash";
import type { ImageFieldsFragment } from "../../client/generated/graphql.js";

type Variant = ImageFieldsFragment["variants"][number];

/** `srcset` of the thumbnails (w descriptors), or null for images from before the pipeline, which have none. */
export function srcSetOf(variants: readonly Variant[]): string | null {
  if (variants.length === 0) return null;
  // A small or narrow image gets thumbnails of equal width (never upscaled): one candidate per width is valid.
  const byWidth = new Map<number, string>();
  for (const variant of variants) if (!byWidth.has(variant.width)) byWidth.set(variant.width, variant.url);
  return [...byWidth].map(([width, url]) => `${url} ${width}w`).join(", ");
}

/**
 * The ThumbHash as a tiny PNG data URL for a CSS background (the CSP allows `img-src data:`), or null when there
 * is none or it does not decode: a broken placeholder must not break the tile.
 */
function placeholderDataUrl(base64: string | null): string | null {
  if (!base64) return null;
  try {
    return thumbHashToDataURL(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** Inline style that paints the placeholder behind an image until `loaded`; decoded once per hash. */
export function usePlaceholderStyle(base64: string | null, loaded: boolean): { backgroundImage: string } | undefined {
  const dataUrl = useMemo(() => placeholderDataUrl(base64), [base64]);
  return dataUrl === null || loaded ? undefined : { backgroundImage: `url("${dataUrl}")` };
}
