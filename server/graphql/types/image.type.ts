import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import type { ImageRecord } from "../../ports/image-store.js";
import { Visibility } from "./visibility.type.js";

/** The links of an image (ImageService.linkFor, viewUrlFor, variantUrlFor). */
export interface ImageLinks {
  linkFor(imageId: string): string;
  viewUrlFor(image: ImageRecord): string;
  variantUrlFor(image: ImageRecord, variant: string): string;
}

export enum ImageStatus {
  PROCESSING = "PROCESSING",
  READY = "READY",
  FAILED = "FAILED",
}

registerEnumType(ImageStatus, {
  name: "ImageStatus",
  description: "Where the image is in processing after upload.",
  valuesConfig: {
    PROCESSING: { description: "Queued or being processed; its link answers 503 with Retry-After until READY." },
    READY: { description: "The public image and thumbnails are served." },
    FAILED: { description: "Processing failed (see failureReason); the image is not served." },
  },
});

// `simpleResolvers`: these types hold plain data, so graphql-js reads their fields directly instead of through a
// TypeGraphQL wrapper per field (a page of 20 images resolves about 180 fields).

@ObjectType({ description: "A resized copy of an image (a WebP thumbnail), metadata-free.", simpleResolvers: true })
export class ImageVariant {
  @Field(() => Int, { description: "Pixels." })
  width!: number;

  @Field(() => Int, { description: "Pixels." })
  height!: number;

  @Field(() => String, { description: "MIME type." })
  contentType!: string;

  @Field(() => Int, { description: "Bytes." })
  size!: number;

  @Field(() => String, { description: "Public, stable link under /image/<id>/…: redirects to the bytes." })
  url!: string;
}

@ObjectType({
  description:
    "A stored image. A PUBLIC image's metadata is visible to anyone who knows the id; a PRIVATE one's to its owner only.",
  simpleResolvers: true,
})
export class Image {
  @Field(() => ID)
  id!: string;

  @Field(() => String, {
    description:
      "The public link: redirects to the public image, upright with its metadata removed except the colour profile (404 while the image is PRIVATE or FAILED, 503 while PROCESSING).",
  })
  url!: string;

  /**
   * Where `viewUrl` and `variants` come from. They are built when a query selects them: a private image's links
   * each carry a signed grant, which a listing of ids and names should not pay for. (The record and the link
   * builder rather than two closures per image: V8 made those cost a page of 20 images about 30 µs.)
   */
  source!: { readonly record: ImageRecord; readonly links: ImageLinks };

  @Field(() => String, {
    description:
      "Where you can load the bytes now: `url` for a PUBLIC image; for a PRIVATE one you may see, `url` with a grant valid for at least 15 minutes.",
  })
  get viewUrl(): string {
    return this.source.links.viewUrlFor(this.source.record);
  }

  @Field(() => String, { description: "Display name given at upload (never used as a path)." })
  filename!: string;

  @Field(() => String, { description: "MIME type, as verified from the bytes." })
  contentType!: string;

  @Field(() => Int, { description: "Bytes." })
  size!: number;

  @Field(() => Int, { description: "Pixels (upright, once READY)." })
  width!: number;

  @Field(() => Int, { description: "Pixels (upright, once READY)." })
  height!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Visibility, {
    description: "PRIVATE: `url` answers 404 to everyone; albums and share links still show it.",
  })
  visibility!: Visibility;

  @Field(() => ImageStatus, {
    description:
      "PROCESSING after upload, then READY (served) or FAILED. Images from before processing existed are READY.",
  })
  status!: ImageStatus;

  @Field(() => String, { nullable: true, description: "Why processing failed, for the owner; null unless FAILED." })
  failureReason!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "ThumbHash of the image, base64: paint it while the thumbnail loads. Null until READY.",
  })
  placeholder!: string | null;

  @Field(() => [ImageVariant], { description: "Thumbnails, smallest first; empty until READY." })
  get variants(): ImageVariant[] {
    const { record, links } = this.source;
    const processing = record.processing;
    return (processing?.status === "READY" ? processing.variants : []).map((variant) =>
      Object.assign(new ImageVariant(), {
        width: variant.width,
        height: variant.height,
        contentType: variant.contentType,
        size: variant.size,
        url: links.variantUrlFor(record, variant.name),
      }),
    );
  }
}

@ObjectType({ simpleResolvers: true })
export class ImageEdge {
  @Field(() => String, { description: "Opaque; pass as `after` to get the images after this one." })
  cursor!: string;

  @Field(() => Image)
  node!: Image;
}

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: "Cursor of the last edge; null on an empty page." })
  endCursor!: string | null;
}

@ObjectType({ description: "A page of images, newest first (Relay connection).", simpleResolvers: true })
export class ImageConnection {
  /**
   * Each node's cursor, for `edges`, which are built when first read: a client that reads only `nodes` (a list of
   * 20 images, say) does not pay for 20 edges and their cursors.
   */
  cursorOf!: (index: number) => string;

  private builtEdges: ImageEdge[] | undefined;

  @Field(() => [ImageEdge])
  get edges(): ImageEdge[] {
    return (this.builtEdges ??= this.nodes.map((node, i) =>
      Object.assign(new ImageEdge(), { cursor: this.cursorOf(i), node }),
    ));
  }

  @Field(() => [Image], { description: "The images of `edges`, for clients that do not need cursors." })
  nodes!: Image[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** `totalCount`, or how to read it: counting is a read of its own, made only when a query selects the field. */
  count!: number | (() => Promise<number>);

  @Field(() => Int, { description: "All of the user's images, not just this page." })
  get totalCount(): number | Promise<number> {
    return typeof this.count === "number" ? this.count : this.count();
  }
}
