import { defineConfig } from 'vite';

// The dashboard is built into the module's target/classes/dashboard, so the kiln-dashboard jar
// carries it and the HTTP role serves it from the classpath at /. `npm run dev` serves src/ with
// hot reload and forwards the API to a running node (KILN_URL, default http://localhost:8080).
const node = process.env.KILN_URL || 'http://localhost:8080';

export default defineConfig({
  root: 'src',
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The dev server's dependency scan reads JSX with React's runtime names whatever oxc is told:
  // point them at Preact's, which has the same automatic-runtime entry points.
  resolve: {
    alias: { 'react/jsx-runtime': 'preact/jsx-runtime', 'react/jsx-dev-runtime': 'preact/jsx-dev-runtime' },
  },
  build: {
    outDir: '../target/classes/dashboard',
    emptyOutDir: true,
    // Every file but index.html has its content hash in its name: the server caches those for a year.
    assetsDir: 'assets',
    sourcemap: false,
    // three.js (the .glb viewer, ~640 kB, 160 kB gzipped) is its own chunk, fetched only on a model's page.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      // '/api/', not '/api': src/api.js is the app's own file
      '/api/': { target: node, changeOrigin: true },
      '/openapi.yaml': { target: node, changeOrigin: true },
    },
  },
});
