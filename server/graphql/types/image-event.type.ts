import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Image } from "./image.type.js";

export enum ImageEventKind {
  CREATED = "CREATED",
  READY = "READY",
  FAILED = "FAILED",
  DELETED = "DELETED",
}
registerEnumType(ImageEventKind, {
  name: "ImageEventKind",
  description: "CREATED: an upload completed. READY / FAILED: processing finished. DELETED: the image is gone.",
  valuesConfig: {
    CREATED: { description: "An upload was completed." },
    READY: { description: "Processing finished: the image is ready." },
    FAILED: { description: "Processing failed." },
    DELETED: { description: "The image was deleted; its link no longer works." },
  },
});

@ObjectType({ description: "Something happened to one of your images." })
export class ImageEvent {
  @Field(() => ImageEventKind)
  kind!: ImageEventKind;

  @Field(() => ID)
  imageId!: string;

  @Field(() => Image, { nullable: true, description: "The image after the event; null for DELETED." })
  image!: Image | null;
}
