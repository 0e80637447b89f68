import { Field, ID, InputType, ObjectType } from "type-graphql";

@ObjectType({ description: "An invite code for REGISTRATION=invite: works for one registration, until it expires." })
export class Invite {
  @Field(() => ID, { description: "Public id, for revokeInvite." })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: "The code to hand out (prefix `inv_`). Only in createInvite's answer: the server keeps just a hash.",
  })
  code!: string | null;

  @Field(() => String, { description: "The admin's note (who it is for); may be empty." })
  note!: string;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: "When it was used; null while unused." })
  usedAt!: Date | null;

  @Field(() => String, { nullable: true, description: "Username that registered with it; null while unused." })
  usedBy!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String, { description: "Username of the admin who made it." })
  createdBy!: string;
}

@InputType()
export class CreateInviteInput {
  @Field(() => Date, { nullable: true, description: "When the code stops working; default a week from now." })
  expiresAt?: Date | null;

  @Field(() => String, { nullable: true, description: "Up to 200 characters, e.g. who it is for." })
  note?: string | null;
}
