import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { CredentialService } from "../../services/credential.service.js";
import { type GraphQLContext, requireViewer } from "../context.js";
import { toApiKey } from "../mappers.js";
import { ApiKey, CreatedApiKey } from "../types/api-key.type.js";

@Resolver()
export class ApiKeyResolver {
  constructor(private readonly credentials: CredentialService) {}

  @Query(() => [ApiKey], { description: "The caller's API keys (not login sessions), oldest first." })
  async apiKeys(@Ctx() context: GraphQLContext): Promise<ApiKey[]> {
    const keys = await this.credentials.listApiKeys(await requireViewer(context));
    return keys.map(toApiKey);
  }

  @Mutation(() => CreatedApiKey, { description: "Creates a named API key. The secret is in the result, once." })
  async createApiKey(@Ctx() context: GraphQLContext, @Arg("name", () => String) name: string): Promise<CreatedApiKey> {
    const issued = await this.credentials.createApiKey(await requireViewer(context), name);
    return Object.assign(new CreatedApiKey(), { apiKey: toApiKey(issued.record), key: issued.secret });
  }

  @Mutation(() => Boolean, { description: "Revokes one of your API keys; it stops working from the next request." })
  async revokeApiKey(@Ctx() context: GraphQLContext, @Arg("id", () => ID) id: string): Promise<boolean> {
    await this.credentials.revokeApiKey(await requireViewer(context), id);
    return true;
  }
}
