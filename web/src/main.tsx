import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { isImageHostError } from "../../client/errors.js";
import { useMeQuery } from "../../client/generated/react-query.js";
import { ImageHostProvider } from "../../client/react.js";
import { createAppClient } from "./api.js";
import { App } from "./App.js";
// The app's own styles, in cascade order (later files override earlier ones at equal specificity).
import "./styles/base.css";
import "./styles/controls.css";
import "./styles/layout.css";
import "./styles/uploader.css";
import "./styles/gallery.css";
import "./styles/image-page.css";
import "./styles/api-keys.css";
import "./styles/album-page.css";
import "./styles/image-states.css";

/**
 * A session that ends while the app is open (revoked elsewhere, expired) makes other calls fail UNAUTHENTICATED:
 * ask `me` again, whose own failure shows the login page (App).
 */
const recheckSession = (error: unknown, queryKey?: readonly unknown[]) => {
  if (!isImageHostError(error, "UNAUTHENTICATED") || queryKey?.[0] === useMeQuery.rootKey) return;
  void queryClient.invalidateQueries({ queryKey: useMeQuery.getKey() });
};

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: (error, query) => recheckSession(error, query.queryKey) }),
  mutationCache: new MutationCache({ onError: (error) => recheckSession(error) }),
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      // Retrying cannot fix a refused request; it can fix a dropped connection or a brief outage.
      retry: (failures, error) =>
        failures < 2 &&
        isImageHostError(error) &&
        ["NETWORK_ERROR", "SERVICE_UNAVAILABLE", "HTTP_ERROR"].includes(error.code),
    },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ImageHostProvider client={createAppClient()}>
        <App />
      </ImageHostProvider>
    </QueryClientProvider>
  </StrictMode>,
);
