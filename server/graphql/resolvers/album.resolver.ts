import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { AlbumService } from "../../services/album.service.js";
import type { ImageService } from "../../services/image.service.js";
import type { ShareLinkService } from "../../services/share-link.service.js";
import { type GraphQLContext, requireViewer } from "../context.js";
import { toAlbum, toAlbumConnection, toAlbumImageConnection, toImage } from "../mappers.js";
import { Album, AlbumConnection, CreateAlbumInput, UpdateAlbumInput } from "../types/album.type.js";
import { Image, ImageConnection } from "../types/image.type.js";
import { fromVisibility } from "../types/visibility.type.js";

@Resolver(() => Album)
export class AlbumResolver {
  constructor(
    private readonly albums: AlbumService,
    private readonly imageLinks: ImageService,
    private readonly shares: ShareLinkService,
  ) {}

  @Query(() => AlbumConnection, { description: "Your albums, newest first. `first` is at most 100." })
  async myAlbums(
    @Ctx() context: GraphQLContext,
    @Arg("first", () => Int, { defaultValue: 20 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ): Promise<AlbumConnection> {
    return toAlbumConnection(
      await this.albums.listAlbums(await requireViewer(context), first, after ?? null),
      this.albums,
    );
  }

  @Query(() => Album, {
    nullable: true,
    description:
      "A PUBLIC album, or one of yours, or the one a live share link opened (`grant`, from the page it led to); null otherwise.",
  })
  async album(
    @Ctx() context: GraphQLContext,
    @Arg("id", () => ID) id: string,
    @Arg("grant", () => String, { nullable: true }) grant: string | null,
  ): Promise<Album | null> {
    const album = grant
      ? await this.shares.albumByGrant(id, grant)
      : await this.albums.getAlbum(await context.viewer(), id);
    return album && toAlbum(album, this.albums);
  }

  @FieldResolver(() => Image, { nullable: true, description: "The first image; null for an empty album." })
  async cover(@Root() album: Album): Promise<Image | null> {
    const image = await this.albums.cover(album.record);
    return image && toImage(image, this.imageLinks);
  }

  @FieldResolver(() => ImageConnection, {
    description: "The images in album order, private ones included (the album grants them; use `viewUrl`).",
  })
  async images(
    @Root() album: Album,
    @Arg("first", () => Int, { defaultValue: 50 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ): Promise<ImageConnection> {
    return toAlbumImageConnection(await this.albums.albumImages(album.record, first, after ?? null), this.imageLinks);
  }

  @Mutation(() => Album, { description: "A new, empty album (PRIVATE unless `visibility` says otherwise)." })
  async createAlbum(
    @Ctx() context: GraphQLContext,
    @Arg("input", () => CreateAlbumInput) input: CreateAlbumInput,
  ): Promise<Album> {
    const album = await this.albums.createAlbum(await requireViewer(context), {
      title: input.title,
      description: input.description ?? null,
      visibility: input.visibility ? fromVisibility(input.visibility) : undefined,
    });
    return toAlbum(album, this.albums);
  }

  @Mutation(() => Album, { description: "Changes the title, description or visibility of one of your albums." })
  async updateAlbum(
    @Ctx() context: GraphQLContext,
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateAlbumInput) input: UpdateAlbumInput,
  ): Promise<Album> {
    const album = await this.albums.updateAlbum(await requireViewer(context), id, {
      title: input.title ?? undefined,
      description: input.description,
      visibility: input.visibility ? fromVisibility(input.visibility) : undefined,
    });
    return toAlbum(album, this.albums);
  }

  @Mutation(() => Boolean, { description: "Deletes one of your albums; its images stay, its share links stop." })
  async deleteAlbum(@Ctx() context: GraphQLContext, @Arg("id", () => ID) id: string): Promise<boolean> {
    await this.albums.deleteAlbum(await requireViewer(context), id);
    return true;
  }

  @Mutation(() => Album, { description: "Appends your images (at most 100 per call) to one of your albums." })
  async addToAlbum(
    @Ctx() context: GraphQLContext,
    @Arg("albumId", () => ID) albumId: string,
    @Arg("imageIds", () => [ID]) imageIds: string[],
  ): Promise<Album> {
    return toAlbum(await this.albums.addToAlbum(await requireViewer(context), albumId, imageIds), this.albums);
  }

  @Mutation(() => Album, { description: "Takes images out of one of your albums (the images stay)." })
  async removeFromAlbum(
    @Ctx() context: GraphQLContext,
    @Arg("albumId", () => ID) albumId: string,
    @Arg("imageIds", () => [ID]) imageIds: string[],
  ): Promise<Album> {
    return toAlbum(await this.albums.removeFromAlbum(await requireViewer(context), albumId, imageIds), this.albums);
  }

  @Mutation(() => Album, { description: "Sets the order: `imageIds` lists every image of the album, each once." })
  async reorderAlbum(
    @Ctx() context: GraphQLContext,
    @Arg("albumId", () => ID) albumId: string,
    @Arg("imageIds", () => [ID]) imageIds: string[],
  ): Promise<Album> {
    return toAlbum(await this.albums.reorderAlbum(await requireViewer(context), albumId, imageIds), this.albums);
  }
}
