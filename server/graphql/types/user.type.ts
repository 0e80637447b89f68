import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import type { UserSummary } from "../../services/admin.service.js";
import { PageInfo } from "./image.type.js";

@ObjectType({
  description:
    "A registered account. Fields past `isAdmin` are read on demand; only the user themself and admins see a User.",
})
export class User {
  @Field(() => ID, { description: "Stable, opaque user id." })
  id!: string;

  @Field(() => String, { description: "The name the user registered with (case preserved; unique ignoring case)." })
  username!: string;

  @Field(() => Boolean, { description: "Listed in the server's ADMIN_USERNAMES." })
  isAdmin!: boolean;

  /** Profile and usage, loaded once per object by the User field resolvers (or given by the admin listing). */
  summary?: Promise<UserSummary | null>;
}

@ObjectType()
export class UserEdge {
  @Field(() => String, { description: "Opaque; pass as `after` to get the users after this one." })
  cursor!: string;

  @Field(() => User)
  node!: User;
}

@ObjectType({ description: "A page of users, newest first (Relay connection). Admins only." })
export class UserConnection {
  @Field(() => [UserEdge])
  edges!: UserEdge[];

  @Field(() => [User])
  nodes!: User[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: "Totals of the whole instance. Admins only." })
export class InstanceStats {
  @Field(() => Int, { description: "Registered users." })
  users!: number;

  @Field(() => Int, { description: "Stored images." })
  images!: number;

  @Field(() => Float, { description: "Bytes of all stored images." })
  bytes!: number;
}
