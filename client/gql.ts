/**
 * The template tag the generated SDK builds its documents with (codegen.ts `gqlImport`). Like graphql-request's
 * `gql` it joins the pieces into one string, and it also keeps only the first definition of each fragment: codegen
 * appends a fragment's text once per use, so a document using ImageFields directly and inside AlbumFields would
 * define it twice, which servers refuse ("There can be only one fragment named ImageFields").
 */
export function gql(chunks: TemplateStringsArray, ...pieces: unknown[]): string {
  const text = chunks.reduce((joined, chunk, i) => joined + chunk + (i < pieces.length ? String(pieces[i]) : ""), "");
  return withoutRepeatedFragments(text);
}

function withoutRepeatedFragments(document: string): string {
  const kept: string[] = [];
  const seen = new Set<string>();
  for (const definition of topLevelDefinitions(document)) {
    const fragment = /^\s*fragment\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(definition)?.[1];
    if (fragment !== undefined) {
      if (seen.has(fragment)) continue;
      seen.add(fragment);
    }
    kept.push(definition.trim());
  }
  return kept.join("\n");
}

/** Splits a document at the end of each top-level `{ … }` block (strings and comments hold no braces here). */
function topLevelDefinitions(document: string): string[] {
  const definitions: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < document.length; i++) {
    const char = document[i];
    if (char === "{") depth++;
    else if (char === "}" && --depth === 0) {
      definitions.push(document.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (document.slice(start).trim() !== "") definitions.push(document.slice(start));
  return definitions;
}
