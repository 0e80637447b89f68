import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import type { AlbumRecord } from "../../ports/album-store.js";
import { PageInfo } from "./image.type.js";
import { Visibility } from "./visibility.type.js";

@ObjectType({
  description:
    "An ordered set of your images. PUBLIC: anyone with the id sees it and all its images, private ones included. PRIVATE: only you (and share links).",
})
export class Album {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Visibility)
  visibility!: Visibility;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String, { description: "The album's page in the web app: <PUBLIC_URL>/a/<id>." })
  url!: string;

  /** The record behind it, for `cover` and `images`. Not a field. */
  record!: AlbumRecord;
}

@ObjectType()
export class AlbumEdge {
  @Field(() => String, { description: "Opaque; pass as `after` to get the albums after this one." })
  cursor!: string;

  @Field(() => Album)
  node!: Album;
}

@ObjectType({ description: "A page of your albums, newest first (Relay connection)." })
export class AlbumConnection {
  @Field(() => [AlbumEdge])
  edges!: AlbumEdge[];

  @Field(() => [Album])
  nodes!: Album[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: "All of your albums." })
  totalCount!: number;
}

@InputType()
export class CreateAlbumInput {
  @Field(() => String, { description: "1 to 200 characters." })
  title!: string;

  @Field(() => String, { nullable: true, description: "At most 2000 characters; newlines kept." })
  description?: string | null;

  @Field(() => Visibility, {
    nullable: true,
    description: "Default PRIVATE: a PUBLIC album shows its private images to anyone with its link.",
  })
  visibility?: Visibility | null;
}

@InputType({ description: "Only the fields given change; description: null removes it." })
export class UpdateAlbumInput {
  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Visibility, { nullable: true })
  visibility?: Visibility | null;
}
