// Vite + Vitest configuration for the web app. `npm run build:web` and `npm run dev` run from
// web/ (SvelteKit reads svelte.config.js from the working directory); the unit tests run from
// the repository root with `npx vitest run --config web/vite.config.ts` and test plain
// TypeScript modules, so the SvelteKit plugin is left out under Vitest.
import { fileURLToPath } from 'node:url';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.API_URL ?? 'http://127.0.0.1:4000';
const underVitest = process.env.VITEST !== undefined;

export default defineConfig({
  root: here,
  plugins: underVitest ? [] : [sveltekit()],
  resolve: underVitest ? { alias: { $lib: `${here}src/lib` } } : {},
  server: {
    port: 5173,
    proxy: {
      '/api': { target: api },
      '/auth': { target: api },
      '/health': { target: api },
    },
  },
  // npm start builds the app on every start: keep its output to what a person needs (no plugin timings).
  build: { chunkSizeWarningLimit: 800, rolldownOptions: { checks: { pluginTimings: false } } },
  test: {
    root: here,
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
