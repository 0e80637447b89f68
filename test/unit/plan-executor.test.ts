import { readdir, readFile } from "node:fs/promises";
import { execute, type ExecutionResult, Kind, type OperationDefinitionNode, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { PlannedExecutor } from "../../server/graphql/execution/planned-executor.js";
import { planOperation } from "../../server/graphql/execution/operation-plan.js";
import { buildGraphQLSchema } from "../../server/graphql/schema.js";
import { executionReportsOf } from "../support/graphql.js";
import { makeRoot, schemaWith } from "./plan-executor-schema.js";

/**
 * Issue 16: operations run from plans must answer exactly as graphql-js's `execute` does. A schema made for the
 * purpose covers what ours uses and the corners of execution (null propagation, errors in lists and promises,
 * serialisation failures, default resolvers calling methods); every case runs through both executors and the
 * two answers, errors with their paths and locations and the order of keys included, must be the same JSON.
 */

interface Case {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string;
  /** False for the operations graphql-js runs itself (no plan). */
  readonly planned: boolean;
}

const fields = "id name count flag color nullish tags strictTags";
const cases: Case[] = [
  { name: "plain fields, nested objects", query: `{ item { ${fields} child { id name } } }`, planned: true },
  {
    name: "aliases and merged fields",
    query: "{ a: item { id x: name id } item { name } b: item { id } }",
    planned: true,
  },
  {
    name: "named, inline and nested fragments",
    query: `query Q { item { ...F ... on Item { color } ... { flag } } } fragment F on Item { id ...G } fragment G on Item { name id }`,
    planned: true,
  },
  { name: "__typename", query: "{ __typename item { __typename id t: __typename } }", planned: true },
  {
    name: "null in a non-null field bubbles to the nullable parent",
    query: "{ item { child { id requiredName } } }",
    planned: true,
  },
  {
    name: "null and errors inside lists",
    query: "{ item { children { id requiredName } strictChildren { id requiredName } tags strictTags } }",
    planned: true,
  },
  {
    name: "serialisation failures, non-iterables, iterables, Errors as values",
    query: "{ odd { color nullish count tags children { id } } }",
    planned: true,
  },
  { name: "a non-null child that resolves to null", query: "{ odd { id requiredChild { id } } }", planned: true },
  {
    name: "resolver errors, sync and async, nullable and non-null",
    query: "{ item { id failing failingAsync child { id failingRequired } children { failingAsync } } }",
    planned: true,
  },
  {
    name: "an error under a position already nulled is not reported",
    query: "{ item { id child { failingRequired failingLater } } }",
    planned: true,
  },
  { name: "a rejected item and a method as a field", query: "{ items { id } items2 { id } }", planned: true },
  { name: "a non-null root field that fails", query: "{ item { id } required { id } }", planned: true },
  {
    name: "methods called by the default resolver, with arguments",
    query: '{ item { greet a: greet(punctuation: "?") } }',
    planned: true,
  },
  {
    name: "arguments, variables, input defaults and the resolver's info",
    query: `query Echo($text: String!, $note: String = "n") { echo(input: { text: $text }, note: $note) item { ...E } }
            fragment E on Item { echo(input: { text: "lit", times: 3 }) child { echo } }`,
    variables: { text: "hi" },
    operationName: "Echo",
    planned: true,
  },
  {
    name: "the named operation of several",
    query: "query A { item { id } } query B { odd { id } }",
    operationName: "B",
    planned: true,
  },
  { name: "introspection (graphql-js)", query: "{ __schema { queryType { name } } item { id } }", planned: false },
  {
    name: "@include (graphql-js)",
    query: "query($on: Boolean!) { item { id name @include(if: $on) } }",
    variables: { on: false },
    planned: false,
  },
  {
    name: "variables that do not coerce (graphql-js)",
    query: "query($n: String) { echo(note: $n) }",
    variables: { n: 5 },
    planned: false,
  },
  {
    name: "an unknown operation name (graphql-js)",
    query: "query A { item { id } }",
    operationName: "Z",
    planned: false,
  },
  {
    name: "several operations, no name (graphql-js)",
    query: "query A { item { id } } query B { item { id } }",
    planned: false,
  },
  { name: "a __proto__ alias (graphql-js)", query: "{ item { __proto__: id } }", planned: false },
];

/** Runs `query` with graphql-js and from a plan, each on a fresh schema and root value. */
async function both(query: string, variables?: Record<string, unknown>, operationName?: string) {
  const runs: ExecutionResult[] = [];
  const logs: string[][] = [];
  for (const which of ["graphql-js", "planned"] as const) {
    const log: string[] = [];
    const schema = schemaWith(log);
    const document = parse(query);
    expect(validate(schema, document)).toEqual([]);
    const request = { document, operationName, variableValues: variables, contextValue: { who: "context" } };
    const rootValue = makeRoot();
    runs.push(
      await (which === "planned"
        ? new PlannedExecutor(schema).execute({ ...request, rootValue })
        : execute({ schema, ...request, rootValue })),
    );
    logs.push(log);
  }
  return { expected: runs[0]!, actual: runs[1]!, expectedLog: logs[0]!, actualLog: logs[1]! };
}

describe("operations run from plans answer as graphql-js does", () => {
  it.each(cases)("$name", async ({ query, variables, operationName, planned }) => {
    const reports = await executionReportsOf(async () => {
      const { expected, actual } = await both(query, variables, operationName);
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    });
    expect(reports).toEqual([{ operationName: operationName ?? null, planned }]);
  });

  it("runs mutations one after the other, in the order written, stopping at a failed non-null field", async () => {
    const query = `mutation { s1: slow(value: "1") f1: fast(value: "2") s2: strict(value: "3") s3: slow(value: "4") }`;
    const ok = await both(query);
    expect(ok.actualLog).toEqual(["slow:1", "fast:2", "strict:3", "slow:4"]);
    expect(JSON.stringify(ok.actual)).toBe(JSON.stringify(ok.expected));

    const failing = `mutation { f1: fast(value: "fail") s1: strict(value: "fail") f2: fast(value: "never") }`;
    const failed = await both(failing);
    expect(failed.actualLog).toEqual(failed.expectedLog);
    expect(failed.actual.data).toBeNull();
    expect(JSON.stringify(failed.actual)).toBe(JSON.stringify(failed.expected));
  });

  it("has a plan for every operation the SDK, the CLI and the web app send", async () => {
    const schema = await buildGraphQLSchema();
    const directory = new URL("../../client/operations/", import.meta.url);
    const sources = await Promise.all(
      (await readdir(directory)).map((file) => readFile(new URL(file, directory), "utf8")),
    );
    const document = parse(sources.join("\n"));
    const operations = document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.operation !== "subscription",
    );
    expect(operations.length).toBeGreaterThan(20);
    const unplanned = operations
      .map((operation) => operation.name!.value)
      .filter((name) => planOperation(schema, document, name) === null);
    expect(unplanned).toEqual([]);
  });
});
