import { defineConfig } from 'vitest/config';

// The shared core's unit tests: pure functions, no database, no browser.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['src/**/*.test.ts'],
    reporters: process.env.CI ? ['dot'] : ['default'],
  },
});
