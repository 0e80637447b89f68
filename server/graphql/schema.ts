import "reflect-metadata";
import { type GraphQLSchema, lexicographicSortSchema } from "graphql";
import { buildSchema, type ContainerType } from "type-graphql";
import { AccountResolver } from "./resolvers/account.resolver.js";
import { ApiKeyResolver } from "./resolvers/api-key.resolver.js";
import { ImageResolver } from "./resolvers/image.resolver.js";

export const resolverClasses = [AccountResolver, ApiKeyResolver, ImageResolver] as const;

/** Resolver instances, built by the composition root with their services. */
export type ResolverInstances = InstanceType<(typeof resolverClasses)[number]>[];

/**
 * Builds the executable schema. Without `resolvers` the schema is only good for printing (schema:emit), which
 * never calls a resolver.
 */
export async function buildGraphQLSchema(resolvers?: ResolverInstances): Promise<GraphQLSchema> {
  const container: ContainerType | undefined = resolvers && {
    get(someClass) {
      const instance = resolvers.find((r) => r.constructor === someClass);
      if (!instance) throw new Error(`no instance for resolver ${String((someClass as { name?: string }).name)}`);
      return instance;
    },
  };
  const schema = await buildSchema({ resolvers: [...resolverClasses], container, validate: false });
  return lexicographicSortSchema(schema);
}
