import "reflect-metadata";
import { type GraphQLSchema, lexicographicSortSchema } from "graphql";
import { buildSchema, type ContainerType, type PubSub } from "type-graphql";
import { AccountResolver } from "./resolvers/account.resolver.js";
import { AlbumResolver } from "./resolvers/album.resolver.js";
import { AdminResolver } from "./resolvers/admin.resolver.js";
import { ApiKeyResolver } from "./resolvers/api-key.resolver.js";
import { ImageEventResolver } from "./resolvers/image-event.resolver.js";
import { ImageResolver } from "./resolvers/image.resolver.js";
import { ShareLinkResolver } from "./resolvers/share-link.resolver.js";
import { UserResolver } from "./resolvers/user.resolver.js";

const resolverClasses = [
  AccountResolver,
  AdminResolver,
  ApiKeyResolver,
  ImageResolver,
  ImageEventResolver,
  AlbumResolver,
  ShareLinkResolver,
  UserResolver,
] as const;

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
  const schema = await buildSchema({ resolvers: [...resolverClasses], container, validate: false, pubSub: noTopics });
  return lexicographicSortSchema(schema);
}

/**
 * type-graphql requires a pubSub once there is a subscription, but ours bring their own `subscribe` (it must wait
 * for Redis to confirm SUBSCRIBE, which a topic-based pubSub does not), so no topic is ever published or used.
 */
const noTopics: PubSub = {
  publish() {
    throw new Error("subscriptions publish through the ImageEventPublisher port, not type-graphql topics");
  },
  subscribe() {
    throw new Error("subscriptions subscribe through LiveEventsService, not type-graphql topics");
  },
};
