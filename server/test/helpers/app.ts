// Builds the real application against the run's test database, for integration tests.
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { type App, buildApp, type Feature } from '../../src/app.ts';
import { type Clock, ManualClock } from '../../src/clock.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { allFeatures } from '../../src/features.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { createMetrics, type Metrics } from '../../src/ops/metrics.ts';
import { TEST_INTERNAL_SYNC_SECRET, TEST_SECRET } from './constants.ts';

export type TestApp = {
  app: App;
  db: Database;
  config: Config;
  clock: Clock;
  metrics: Metrics;
  close: () => Promise<void>;
};

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    SHARED_TOKEN_SECRET: TEST_SECRET,
    INTERNAL_SYNC_SECRET: TEST_INTERNAL_SYNC_SECRET,
    DATABASE_URL: inject('databaseUrl'),
    DATA_DIR: '.data-test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SEED: 'false',
    // Test files run in parallel on one database: each test process elects its own sync engine.
    SYNC_ENGINE_GROUP: `test-${process.pid}`,
    // A persisted group keeps a permanent slot after the test: only the tests of persistence
    // turn it on, and drop their slot (sync/engine-restart.test.ts).
    SYNC_PERSIST_LOGS: 'false',
    // A loaded test machine can take seconds to open a connection: keep the acquire timeout
    // out of unrelated tests (the tests of the timeout itself set their own).
    DB_ACQUIRE_TIMEOUT_MS: '30000',
    // Likewise a loaded machine (and a test's own synchronous work) can hold the event loop for
    // a second: no shedding on delay unless a test asks for it (shedding.test.ts).
    SHED_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
}

/** Opens the test database as the app does (runtime role, migrations checked). */
export async function openTestDatabase(config = testConfig()): Promise<Database> {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    appDatabaseUrl: config.appDatabaseUrl,
    preparedStatements: config.preparedStatements,
    requireLogicalWal: false,
    appPoolSize: 5,
    statementTimeoutMs: config.limits.statementTimeoutMs,
    acquireTimeoutMs: config.limits.acquireTimeoutMs,
  });
}

export async function createTestApp(
  options: {
    env?: Record<string, string>;
    clock?: Clock;
    features?: Feature[];
    /** Where log lines go (default: stdout, at LOG_LEVEL, silent in tests). */
    logDestination?: DestinationStream;
  } = {},
): Promise<TestApp> {
  const config = testConfig(options.env);
  const db = await openTestDatabase(config);
  const clock = options.clock ?? new ManualClock();
  const metrics = createMetrics();
  const app = await buildApp(
    { config, db, log: createLogger(config.logLevel, undefined, options.logDestination), metrics, clock },
    options.features ?? allFeatures,
  );
  await app.ready();
  return {
    app,
    db,
    config,
    clock,
    metrics,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

/**
 * One sweep round of `orgId` that really ran: the sweep lock is database-wide, so a round can be
 * skipped while another test file's sweeper holds it; this waits for a round of its own.
 */
export async function sweepUntilRun(app: App, orgId: string) {
  for (;;) {
    const round = await app.runSweep({ only: [orgId] });
    if (!round.skipped) return round;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
