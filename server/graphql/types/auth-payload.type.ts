import { Field, ObjectType } from "type-graphql";
import { User } from "./user.type.js";

@ObjectType({ description: "The result of register or login: a new session credential and who it belongs to." })
export class AuthPayload {
  @Field(() => String, {
    description:
      "Session credential (prefix `ih_`). Send it as `X-API-Key` or `Authorization: Bearer`. Shown once; it expires after the configured idle time.",
  })
  apiKey!: string;

  @Field(() => User)
  user!: User;
}
