import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import {
  GraphQLID,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  responsePathAsArray,
} from "graphql";
import { describe, expect, it } from "vitest";
import { plannedExecutionGateway } from "../../server/graphql/execution/planned-executor.js";

/**
 * Issue 16: Apollo hands execution to the planned executor through its gateway interface, and a plugin that
 * watches fields (willResolveField) makes Apollo wrap every resolver of the schema in place, also those of fields
 * that had none. Such a plugin must see the same fields, in the same order, as with graphql-js.
 */

/** A fresh schema per server: Apollo's wrapping changes the schema's field objects. */
function schema(): GraphQLSchema {
  const Thing = new GraphQLObjectType({
    name: "Thing",
    fields: { id: { type: new GraphQLNonNull(GraphQLID) }, name: { type: GraphQLString } },
  });
  const Query = new GraphQLObjectType({
    name: "Query",
    fields: {
      things: {
        type: new GraphQLList(Thing),
        resolve: async () => [
          { id: "1", name: "one" },
          { id: "2", name: null },
        ],
      },
    },
  });
  return new GraphQLSchema({ query: Query });
}

async function run(mode: "graphql-js" | "planned") {
  const seen: string[] = [];
  let watching = false;
  const watcher: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async executionDidStart() {
          if (!watching) return;
          return {
            willResolveField({ info }) {
              seen.push(responsePathAsArray(info.path).join("."));
            },
          };
        },
      };
    },
  };
  // As the server has it: cache control (on by default) would watch every field from the first request on.
  const options = { plugins: [watcher, ApolloServerPluginCacheControlDisabled()] };
  const apollo =
    mode === "planned"
      ? new ApolloServer({ gateway: plannedExecutionGateway(schema()), ...options })
      : new ApolloServer({ schema: schema(), ...options });
  await apollo.start();
  try {
    // The first time unwatched, so that the operation is planned before Apollo wraps the resolvers.
    const query = "{ things { id label: name } }";
    const unwatched = await apollo.executeOperation({ query });
    watching = true;
    const watched = await apollo.executeOperation({ query });
    return { bodies: [unwatched.body, watched.body].map((body) => JSON.stringify(body)), seen };
  } finally {
    await apollo.stop();
  }
}

describe("the planned executor behind Apollo", () => {
  it("lets a field-watching plugin see every field, as graphql-js does, also in operations planned before", async () => {
    const expected = await run("graphql-js");
    const actual = await run("planned");
    expect(actual.seen).toEqual(["things", "things.0.id", "things.0.label", "things.1.id", "things.1.label"]);
    expect(actual).toEqual(expected);
    expect(actual.bodies[0]).toBe(actual.bodies[1]);
  });
});
