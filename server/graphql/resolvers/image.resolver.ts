import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { ImageService } from "../../services/image.service.js";
import type { UploadService } from "../../services/upload.service.js";
import { type GraphQLContext, requireViewer } from "../context.js";
import { toImage, toImageConnection, toUploadTicket } from "../mappers.js";
import { Image, ImageConnection } from "../types/image.type.js";
import { RequestUploadInput, UploadTicket } from "../types/upload.type.js";
import { Visibility, fromVisibility } from "../types/visibility.type.js";

@Resolver()
export class ImageResolver {
  constructor(
    private readonly images: ImageService,
    private readonly uploads: UploadService,
  ) {}

  @Query(() => ImageConnection, { description: "Your images, newest first. `first` is at most 100." })
  async myImages(
    @Ctx() context: GraphQLContext,
    @Arg("first", () => Int, { defaultValue: 20 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ): Promise<ImageConnection> {
    const page = await this.images.listImages(await requireViewer(context), first, after ?? null);
    return toImageConnection(page, this.images);
  }

  @Query(() => Image, {
    nullable: true,
    description: "An image's metadata: any PUBLIC image, and your own; null otherwise (absent, or someone's PRIVATE).",
  })
  async image(@Ctx() context: GraphQLContext, @Arg("id", () => ID) id: string): Promise<Image | null> {
    const image = await this.images.getImage(await context.viewer(), id);
    return image && toImage(image, this.images);
  }

  @Mutation(() => Image, { description: "Makes one of your images PUBLIC or PRIVATE; its link follows at once." })
  async setImageVisibility(
    @Ctx() context: GraphQLContext,
    @Arg("id", () => ID) id: string,
    @Arg("visibility", () => Visibility) visibility: Visibility,
  ): Promise<Image> {
    const image = await this.images.setImageVisibility(await requireViewer(context), id, fromVisibility(visibility));
    return toImage(image, this.images);
  }

  @Mutation(() => UploadTicket, { description: "Step 1 of an upload: how to send the bytes straight to storage." })
  async requestUpload(
    @Ctx() context: GraphQLContext,
    @Arg("input", () => RequestUploadInput) input: RequestUploadInput,
  ): Promise<UploadTicket> {
    const issued = await this.uploads.requestUpload(await requireViewer(context), {
      ...input,
      visibility: fromVisibility(input.visibility ?? Visibility.PUBLIC),
    });
    return toUploadTicket(issued);
  }

  @Mutation(() => Image, {
    description:
      "Step 3: verifies the bytes that arrived and records the image (status PROCESSING until its public image and thumbnails are made). Safe to retry.",
  })
  async completeUpload(@Ctx() context: GraphQLContext, @Arg("uploadId", () => ID) uploadId: string): Promise<Image> {
    const image = await this.uploads.completeUpload(await requireViewer(context), uploadId, context.signal);
    return toImage(image, this.images);
  }

  @Mutation(() => Boolean, { description: "Deletes one of your images: its link stops working at once." })
  async deleteImage(@Ctx() context: GraphQLContext, @Arg("id", () => ID) id: string): Promise<boolean> {
    await this.images.deleteImage(await requireViewer(context), id);
    return true;
  }
}
