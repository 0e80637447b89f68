import { Field, ID, InputType, Int, ObjectType } from "type-graphql";

@ObjectType({
  description:
    "A link to one image or album that works until it expires, is used up or is revoked (then it answers 410).",
})
export class ShareLink {
  @Field(() => ID)
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: "<PUBLIC_URL>/s/<token>. Only in createShareLink's answer: the token is stored hashed.",
  })
  url!: string | null;

  @Field(() => String, { nullable: true, description: "The secret part of `url` (256 bits); shown once." })
  token!: string | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => Date, { nullable: true, description: "Null: never expires." })
  expiresAt!: Date | null;

  @Field(() => Int, { nullable: true, description: "Null: no limit." })
  maxViews!: number | null;

  @Field(() => Int, { description: "Answered requests of the link so far (each redirect or album page opened)." })
  views!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => ID, { nullable: true, description: "Set when the link shows an image." })
  imageId!: string | null;

  @Field(() => ID, { nullable: true, description: "Set when the link shows an album." })
  albumId!: string | null;
}

@InputType({ description: "Exactly one of imageId and albumId: one of yours." })
export class CreateShareLinkInput {
  @Field(() => ID, { nullable: true })
  imageId?: string | null;

  @Field(() => ID, { nullable: true })
  albumId?: string | null;

  @Field(() => Date, { nullable: true, description: "In the future; null or absent: never expires." })
  expiresAt?: Date | null;

  @Field(() => Int, { nullable: true, description: "1 to 1,000,000 views; null or absent: no limit." })
  maxViews?: number | null;

  @Field(() => String, { nullable: true, description: "For you, at most 200 characters (e.g. who got it)." })
  note?: string | null;
}
