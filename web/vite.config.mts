/**
 * The storefront's build (`npm run build:web`): Preact and TypeScript to web/dist, served by the API
 * at /shop (src/api/storefront.ts). Asset names carry a content hash, so they are cached for a year.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/shop/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    manifest: true,
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: {
    // `npx vite --config web/vite.config.ts` for live reloading against a running `npm run dev` (API on PORT, default 3000).
    proxy: Object.fromEntries(['/products', '/carts', '/orders', '/auth', '/me', '/simulated', '/storefront', '/media', '/openapi.json']
      .map((p) => [p, `http://127.0.0.1:${process.env.PORT ?? 3000}`])),
  },
});
