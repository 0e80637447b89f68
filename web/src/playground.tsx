/**
 * The GraphQL playground at /graphql: GraphiQL bundled into our own assets (editor workers included), so it works
 * offline and under the app's CSP. Requests go to /graphql on this origin with the browser's session cookie, so
 * queries run as the logged-in user; no header or key is stored.
 */
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "./playground.css";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

const fetcher = createGraphiQLFetcher({
  url: "/graphql",
  fetch: (input, init) => fetch(input, { ...init, credentials: "same-origin" }),
  // Apollo here answers plain JSON; no multipart/incremental delivery, no websocket.
  enableIncrementalDelivery: false,
});

const defaultQuery = `# ImageHost GraphQL playground.
# Queries run as the user logged in to the web app (no key needed here).
# Press Ctrl+Enter (or the run button) to run; the Docs panel describes every field.

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
