import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';

// The console builds into dist/web-console, where src/app/web-console.ts serves it from under /console/.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web-console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Budget: the functions page's first load stays under 200 KB of compressed JavaScript
    // (test/console asserts it); charts load only with the pages that draw them.
    chunkSizeWarningLimit: 200,
  },
});
