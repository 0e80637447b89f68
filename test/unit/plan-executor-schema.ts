import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLResolveInfo,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  responsePathAsArray,
} from "graphql";

/**
 * A schema made to exercise execution's corners (test/unit/plan-executor.test.ts): null propagation, errors in
 * lists and promises, serialisation failures, methods called by the default resolver, serial mutations.
 */

/** Everything a resolver was handed, so that both executors can be compared on it too. */
function describeCall(args: unknown, info: GraphQLResolveInfo) {
  return JSON.stringify({
    args,
    field: info.fieldName,
    parent: info.parentType.name,
    returns: String(info.returnType),
    path: responsePathAsArray(info.path),
    nodes: info.fieldNodes.length,
    operation: info.operation.name?.value ?? null,
    fragments: Object.keys(info.fragments),
    variables: info.variableValues,
    root: info.rootValue === undefined,
  });
}

const Color = new GraphQLEnumType({ name: "Color", values: { RED: { value: "red" }, BLUE: { value: "blue" } } });
/** A scalar whose serialisation can fail by returning null, which graphql-js reports in its own words. */
const Nullish = new GraphQLScalarType({ name: "Nullish", serialize: (value) => (value === "none" ? null : value) });
const EchoInput = new GraphQLInputObjectType({
  name: "EchoInput",
  fields: { text: { type: new GraphQLNonNull(GraphQLString) }, times: { type: GraphQLInt, defaultValue: 2 } },
});

type Source = Record<string, unknown>;
const echoField = {
  type: GraphQLString,
  args: { input: { type: EchoInput }, note: { type: GraphQLString } },
  resolve: (_source: unknown, args: unknown, _context: unknown, info: GraphQLResolveInfo) => describeCall(args, info),
};
const Item: GraphQLObjectType = new GraphQLObjectType({
  name: "Item",
  fields: () => ({
    id: { type: new GraphQLNonNull(GraphQLID) },
    name: { type: GraphQLString },
    count: { type: GraphQLInt },
    flag: { type: GraphQLBoolean },
    color: { type: Color },
    nullish: { type: Nullish },
    requiredName: { type: new GraphQLNonNull(GraphQLString) },
    greet: { type: GraphQLString, args: { punctuation: { type: GraphQLString, defaultValue: "!" } } },
    tags: { type: new GraphQLList(GraphQLString) },
    strictTags: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    child: { type: Item },
    requiredChild: { type: new GraphQLNonNull(Item) },
    children: { type: new GraphQLList(Item) },
    strictChildren: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Item))) },
    asyncName: { type: GraphQLString, resolve: async (source: Source) => source.name },
    failing: {
      type: GraphQLString,
      resolve: () => {
        throw new Error("boom");
      },
    },
    failingAsync: {
      type: GraphQLString,
      resolve: async (source: Source) => Promise.reject(new Error(`late ${source.id}`)),
    },
    failingLater: {
      type: GraphQLString,
      resolve: async (source: Source) => {
        for (let tick = 0; tick < 5; tick++) await Promise.resolve();
        throw new Error(`later ${String(source.id)}`);
      },
    },
    failingRequired: {
      type: new GraphQLNonNull(GraphQLString),
      resolve: (source: Source) => Promise.reject(new Error(`required ${source.id}`)),
    },
    echo: echoField,
  }),
});

function item(id: string, extra: Source = {}): Source {
  return {
    id,
    name: `name ${id}`,
    count: 3,
    flag: true,
    color: "red",
    nullish: "some",
    requiredName: `required ${id}`,
    greet(this: Source, args: { punctuation: string }, _context: unknown, info: GraphQLResolveInfo) {
      return `hello ${String(this.id)}${args.punctuation} (${info.fieldName})`;
    },
    tags: ["a", "b"],
    strictTags: ["x"],
    children: [],
    strictChildren: [],
    ...extra,
  };
}

/** The root value, made afresh for each run (its promises settle once). */
export const makeRoot = (): Source => ({
  item: item("1", {
    child: item("2", { requiredName: null }),
    requiredChild: item("3"),
    children: [item("4"), null, item("5", { requiredName: undefined }), Promise.resolve(item("6"))],
    strictChildren: [item("7"), item("8", { requiredName: null })],
    tags: new Set(["s1", null, "s2"]),
    strictTags: ["y", null],
  }),
  odd: item("9", {
    color: "green",
    nullish: "none",
    count: "not a number",
    tags: "not a list",
    children: (function* () {
      yield item("10");
      yield new Error("an Error as a value");
    })(),
    requiredChild: Promise.resolve(null),
  }),
  items: () => [item("11"), Promise.reject(new Error("rejected item")), item("12")],
  items2: () => Promise.resolve([item("13"), item("14")]),
});

const Query = new GraphQLObjectType({
  name: "Query",
  fields: {
    item: { type: Item },
    odd: { type: Item },
    items: { type: new GraphQLList(Item) },
    items2: { type: new GraphQLList(Item) },
    required: { type: new GraphQLNonNull(Item), resolve: () => Promise.resolve(null) },
    echo: echoField,
  },
});

function mutationSchema(log: string[]) {
  const step = (name: string, delay: number) => async (_source: unknown, args: { value: string }) => {
    for (let i = 0; i < delay; i++) await Promise.resolve();
    log.push(`${name}:${args.value}`);
    if (args.value === "fail") throw new Error(`${name} failed`);
    return log.slice();
  };
  return new GraphQLObjectType({
    name: "Mutation",
    fields: {
      slow: {
        type: new GraphQLList(GraphQLString),
        args: { value: { type: GraphQLString } },
        resolve: step("slow", 5),
      },
      fast: {
        type: new GraphQLList(GraphQLString),
        args: { value: { type: GraphQLString } },
        resolve: step("fast", 0),
      },
      strict: {
        type: new GraphQLNonNull(new GraphQLList(GraphQLString)),
        args: { value: { type: GraphQLString } },
        resolve: step("strict", 1),
      },
    },
  });
}

/** `log` records the mutations in the order they ran. */
export function schemaWith(log: string[]): GraphQLSchema {
  return new GraphQLSchema({ query: Query, mutation: mutationSchema(log) });
}
