import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The web app and the GraphQL playground, two pages of one build into web/dist (served by the server at `/` and
 * `/graphql`). Everything is bundled from npm: no CDN, nothing loaded from another origin. `npm start` builds it
 * through scripts/build-web.ts when the sources are newer than the last build.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // GraphiQL's editor (Monaco) is large; it only loads on the playground page.
    chunkSizeWarningLimit: 6000,
    rolldownOptions: {
      // GraphiQL's modules start with React Compiler's "use no memo", which bundling drops harmlessly.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
      input: {
        app: fileURLToPath(new URL("index.html", import.meta.url)),
        playground: fileURLToPath(new URL("playground.html", import.meta.url)),
      },
    },
  },
  worker: { format: "es" },
});
