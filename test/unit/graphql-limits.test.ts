import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { maxAliasesRule, maxDepthRule } from "../../server/graphql/limits.js";

/** The SEC-7 rules on a schema that can nest without end, so every depth is a valid query. */
const schema = buildSchema(`type Node { id: ID, child: Node } type Query { node: Node }`);
const check = (query: string) =>
  validate(schema, parse(query), [maxDepthRule(8), maxAliasesRule(15)]).map((e) => e.message);
const nest = (depth: number): string => (depth === 1 ? "id" : `child { ${nest(depth - 1)} }`);

describe("GraphQL limit rules (SEC-7)", () => {
  it("allows depth 8 and refuses depth 9", () => {
    expect(check(`{ node { ${nest(7)} } }`)).toEqual([]);
    expect(check(`{ node { ${nest(8)} } }`)).toEqual(["Query is nested too deeply: at most 8 levels are allowed."]);
  });

  it("follows fragments and inline fragments", () => {
    const viaFragments = `{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ... on Node { ${nest(6)} } } }`;
    expect(check(viaFragments)).toHaveLength(1);
    expect(check(`{ node { ...A } } fragment A on Node { ${nest(7)} }`)).toEqual([]);
  });

  it("terminates on fragment cycles (graphql-js reports those)", () => {
    expect(check(`{ node { ...A } } fragment A on Node { child { ...A } }`)).toEqual([]);
  });

  it("does not count introspection", () => {
    expect(
      check(
        `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }`,
      ),
    ).toEqual([]);
  });

  it("allows 15 aliases and refuses 16, counted across the document", () => {
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: node { id }`).join(" ");
    expect(check(`{ ${aliases(15)} }`)).toEqual([]);
    expect(check(`{ ${aliases(10)} ...F } fragment F on Query { ${aliases(6).replace(/a(\d)/g, "b$1")} }`)).toEqual([
      "Too many aliases: at most 15 are allowed per request.",
    ]);
  });
});
