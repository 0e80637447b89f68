import type { BlobStore } from "../ports/blob-store.js";
import type { ImageStore, ServableImage } from "../ports/image-store.js";
import type { AccessGrants } from "./access-grants.js";
import { isWellFormedId } from "./credentials.js";
import type { LinkCache } from "./link-cache.js";
import { stillFresh } from "../storage/download-url-cache.js";

/** Where a public link leads: a redirect to the bytes, or "come back later" while the image is processed. */
export type PublicLink = { kind: "redirect"; url: string } | { kind: "processing" };

type Target = Pick<ServableImage, "key" | "contentType">;

const VARIANT_NAME = /^w\d{1,5}$/;

/**
 * Where public links lead (`/image/<id>`, its thumbnails, and what album and share links open), decided in one
 * place from what the link cache or the store knows of the image: one metadata read at most, none on a cache hit.
 */
export class PublicLinks {
  /**
   * The URL last signed for each cached target, so a hot link needs no promise at all. Keyed by the cache's own
   * objects: a changed image is a new object, so its old URL is never found again.
   */
  private readonly urls = new WeakMap<Target, { url: string; expiresAt: number | null }>();

  constructor(
    private readonly images: Pick<ImageStore, "findServable">,
    private readonly blobs: Pick<BlobStore, "downloadUrl">,
    private readonly grants: AccessGrants,
    private readonly cache: LinkCache<ServableImage> | null,
  ) {}

  /**
   * The link of the image, or of its variant `w320`, ...; null for unknown, malformed, deleted, FAILED or private ids
   * (unless `grant` is a live grant for it) and unknown variants.
   */
  async resolve(imageId: string, variant: string | null, grant: string | null): Promise<PublicLink | null> {
    return this.lookUp(imageId, variant, grant !== null && this.grants.verify("image", imageId, grant));
  }

  /** Where an album or share link sends a viewer it has let in: private images too. */
  async granted(imageId: string): Promise<string | null> {
    const link = await this.lookUp(imageId, null, true);
    return link?.kind === "redirect" ? link.url : null;
  }

  /**
   * The redirect of a public link when this process already knows it (a link-cache hit on a public image ready to
   * serve): the URL itself once signed, else its promise. null means "not known here", never "no such image": the
   * caller then asks `resolve`. Reads no Redis.
   */
  known(imageId: string, variant: string | null): string | Promise<string> | null {
    if (this.cache === null || !wellFormed(imageId, variant)) return null;
    const image = this.cache.peek(imageId);
    const target = image === undefined ? null : targetOf(image, variant, false);
    if (target === null || target === "processing") return null;
    const signed = this.urls.get(target);
    return signed !== undefined && stillFresh(signed.expiresAt) ? signed.url : this.urlOf(target);
  }

  private async lookUp(imageId: string, variant: string | null, includePrivate: boolean): Promise<PublicLink | null> {
    if (!wellFormed(imageId, variant)) return null;
    const image = this.cache
      ? await this.cache.get(imageId, (id) => this.images.findServable(id))
      : await this.images.findServable(imageId);
    const target = image === null ? null : targetOf(image, variant, includePrivate);
    if (target === null) return null;
    if (target === "processing") return { kind: "processing" };
    return { kind: "redirect", url: await this.urlOf(target) };
  }

  private async urlOf(target: Target): Promise<string> {
    const signed = await this.blobs.downloadUrl(target.key, target.contentType);
    this.urls.set(target, signed);
    return signed.url;
  }
}

function wellFormed(imageId: string, variant: string | null): boolean {
  return isWellFormedId(imageId) && (variant === null || VARIANT_NAME.test(variant));
}

/** What the link of `image` (or its `variant`) serves: bytes, "processing" (503 for now), or nothing (404). */
function targetOf(image: ServableImage, variant: string | null, includePrivate: boolean): Target | "processing" | null {
  if (image.visibility === "private" && !includePrivate) return null;
  if (image.state === "processing") return "processing";
  return (variant === null ? image : image.variants.find((v) => v.name === variant)) ?? null;
}
