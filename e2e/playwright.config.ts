// Browser tests: the real server (embedded PostgreSQL in a fresh temporary DATA_DIR, demo seed,
// built web app) in Debian's Chromium. Playwright never downloads a browser here.
// The port and data directory are chosen once in the main process; workers inherit them.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './chromium.ts';

process.env.E2E_PORT ??= String(4600 + (process.pid % 300));
// Not created here: the server creates it with the permissions embedded PostgreSQL needs.
process.env.E2E_DATA_DIR ??= path.join(tmpdir(), `sertantai-e2e-${Date.now().toString(36)}-${process.pid}`);
/** Short access tokens, so the silent refresh runs many times during the suite. */
process.env.E2E_ACCESS_TOKEN_TTL ??= '20';

const port = Number(process.env.E2E_PORT);
const root = path.resolve(import.meta.dirname, '..');

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json']],
  outputDir: path.join(root, 'test-results'),
  use: {
    baseURL: `http://localhost:${port}`,
    viewport: { width: 1280, height: 860 },
    trace: 'off',
    launchOptions: chromiumLaunchOptions,
  },
  webServer: {
    // npm start: the web app is rebuilt only when its sources changed (scripts/web-build-stamp.mjs).
    command: 'npm start',
    cwd: root,
    url: `http://localhost:${port}/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: process.env.E2E_DATA_DIR,
      SEED: 'true',
      ACCESS_TOKEN_TTL: process.env.E2E_ACCESS_TOKEN_TTL,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
      PLAYWRIGHT_BROWSERS_PATH: '0',
      // The test machine is shared and often loaded far past production: no shedding on
      // event-loop delay and a generous pool wait, so slowness never turns into 503s here.
      SHED_EVENT_LOOP_DELAY_MS: '0',
      DB_ACQUIRE_TIMEOUT_MS: '30000',
      // Registers of 300 controls or more sync on demand (register-on-demand.spec.ts); the
      // demo organisations and the other specs' accounts stay far below it.
      SYNC_ON_DEMAND_CONTROLS: '300',
    },
  },
});
