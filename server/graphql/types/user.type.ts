import { Field, ID, ObjectType } from "type-graphql";

@ObjectType({ description: "A registered account." })
export class User {
  @Field(() => ID, { description: "Stable, opaque user id." })
  id!: string;

  @Field(() => String, { description: "The name the user registered with (case preserved; unique ignoring case)." })
  username!: string;
}
