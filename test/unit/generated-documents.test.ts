import { readFileSync } from "node:fs";
import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import * as sdk from "../../client/generated/sdk.js";

const schema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));
const documents = Object.entries(sdk).filter(
  (entry): entry is [string, string] => entry[0].endsWith("Document") && typeof entry[1] === "string",
);

/** Every document the SDK sends is one the server accepts: each fragment defined once (Album uses ImageFields twice). */
describe("generated SDK documents", () => {
  it("finds the documents", () => {
    expect(documents.map(([name]) => name)).toContain("AlbumDocument");
  });

  it.each(documents)("%s validates against schema.graphql", (_name, document) => {
    expect(validate(schema, parse(document)).map((error) => error.message)).toEqual([]);
  });
});
