/**
 * The GraphQL playground at /graphql: GraphiQL bundled into our own assets (editor workers included), so it works
 * offline and under the app's CSP. Requests go to /graphql on this origin with the browser's session cookie, so
 * queries run as the logged-in user; no header or key is stored.
 */
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "./playground.css";
import { type Fetcher, createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { getOperationAST, parse } from "graphql";
import { createClient } from "graphql-ws";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

const httpFetcher = createGraphiQLFetcher({
  url: "/graphql",
  fetch: (input, init) => fetch(input, { ...init, credentials: "same-origin" }),
  // Apollo here answers plain JSON; no multipart/incremental delivery.
  enableIncrementalDelivery: false,
});

/**
 * Subscriptions go over the WebSocket on the same path (graphql-ws), authenticated by the same cookie; headers
 * typed in the Headers editor (`Authorization: Bearer …`) travel in connection_init instead. We pick the transport
 * ourselves: the toolkit only recognises a subscription when GraphiQL hands it a parsed document.
 */
let editorHeaders: Record<string, unknown> = {};
const ws = createClient({
  url: new URL("/graphql", window.location.href).href.replace(/^http/, "ws"),
  connectionParams: () => editorHeaders,
  retryAttempts: 0,
});
const fetcher: Fetcher = (params, options) => {
  if (!isSubscription(params.query, params.operationName)) return httpFetcher(params, options);
  editorHeaders = { ...options?.headers };
  // graphql-ws yields wire results (formatted errors), which is what GraphiQL displays.
  return ws.iterate({
    query: params.query,
    variables: params.variables,
    operationName: params.operationName,
  }) as unknown as ReturnType<Fetcher>;
};

function isSubscription(query: string, operationName: string | null | undefined): boolean {
  try {
    return getOperationAST(parse(query), operationName ?? undefined)?.operation === "subscription";
  } catch {
    return false; // the server explains the syntax error
  }
}

const defaultQuery = `# ImageHost GraphQL playground.
# Queries run as the user logged in to the web app (no key needed here).
# Press Ctrl+Enter (or the run button) to run; the Docs panel describes every field.
# Live updates: run  subscription { imageEvents { kind imageId image { filename url } } }

{
  me {
    username
  }
  myImages(first: 5) {
    totalCount
    nodes {
      id
      url
      filename
      width
      height
    }
  }
}
`;

createRoot(document.getElementById("playground")!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} shouldPersistHeaders={false}>
      <GraphiQL.Logo>
        <a href="/" className="playground-home">
          ImageHost
        </a>{" "}
        GraphQL
      </GraphiQL.Logo>
    </GraphiQL>
  </StrictMode>,
);
