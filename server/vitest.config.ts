import { defineConfig } from 'vitest/config';

// Server suites: unit tests (pure, fast) and integration tests against a real PostgreSQL,
// embedded by default or TEST_DATABASE_URL's server. One fresh database per run.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: process.env.CI ? ['dot'] : ['default'],
  },
});
