import { Field, ID, ObjectType } from "type-graphql";

@ObjectType({ description: "A named, long-lived API key. The secret itself is only ever shown when it is created." })
export class ApiKey {
  @Field(() => ID, { description: "Public id, for revokeApiKey." })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: "Last time a request used this key (updated at most once a minute).",
  })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: "null: the key does not expire." })
  expiresAt!: Date | null;
}

@ObjectType({ description: "A freshly created API key and its secret. Store the secret now: it is not shown again." })
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field(() => String, { description: "The secret (prefix `ih_`)." })
  key!: string;
}
